// Command balance-check keeps CONCURRENCY Convert calls in flight through clients/go/client.Dial
// until its standard input closes (or LIMIT calls were made), then prints
// {"ok": N, "failed": N, "errors": [...]} on stdout. tests/clients/test_balancing.py drives it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	converterclient "github.com/vmi-converter/vmi-converter/clients/go/client"
	converterv1 "github.com/vmi-converter/vmi-converter/clients/go/kubevirt/converter/v1"
)

func main() {
	addr := flag.String("addr", "", "target")
	request := flag.String("request", "", "ConvertRequest JSON file")
	concurrency := flag.Int("concurrency", 4, "calls in flight")
	limit := flag.Int64("limit", 20000, "most calls made")
	flag.Parse()
	data, err := os.ReadFile(*request)
	if err != nil {
		panic(err)
	}
	var req converterv1.ConvertRequest
	if err := protojson.Unmarshal(data, &req); err != nil {
		panic(err)
	}
	conn, err := converterclient.Dial(*addr, grpc.WithInsecure())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	client := converterv1.NewConverterClient(conn)

	var stop atomic.Bool
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); stop.Store(true) }()
	var made, ok atomic.Int64
	var mu sync.Mutex
	errs := []string{}
	var wg sync.WaitGroup
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() && made.Add(1) <= *limit {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, err := client.Convert(ctx, &req)
				cancel()
				if err == nil {
					ok.Add(1)
					continue
				}
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	out, _ := json.Marshal(map[string]interface{}{"ok": ok.Load(), "failed": len(errs), "errors": errs})
	fmt.Println(string(out))
}
