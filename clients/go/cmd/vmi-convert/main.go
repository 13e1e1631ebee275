// Command vmi-convert is a small example client of the vmi-converter gRPC service.
//
//	vmi-convert [-addr ADDR] [-context ctx.json] [-typed] FILE
//	    Converts one VMI and prints the libvirt domain XML. FILE is a VMI (JSON, or YAML
//	    without -typed) or a whole ConvertRequest {"id": ..., "vmi": ..., "context": ...}.
//	vmi-convert [-addr ADDR] [-context ctx.json] [-typed] -stream DIR
//	    Sends every *.json, *.yaml and *.yml file of DIR (sorted by name) through one
//	    ConvertStream call and prints, for each, "==> ID <==" followed by its XML or its error.
//	    The id of a file is its "id" field or its name without the extension.
//
// ADDR is host:port (default 127.0.0.1:50051) or unix:///path/to/socket (also unix:/path), or
// several addresses (ipv4:10.0.0.1:50051,10.0.0.2:50051; dns:///headless-service:50051), which
// calls are spread over (clients/go/client).
// Warnings go to stderr. Exit status: 0 when everything converted, 1 when a VMI was
// rejected, 2 on usage or connection errors.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	converterclient "github.com/vmi-converter/vmi-converter/clients/go/client"
	converterv1 "github.com/vmi-converter/vmi-converter/clients/go/kubevirt/converter/v1"
)

type options struct {
	addr    string
	context string
	typed   bool
	stream  string
	timeout time.Duration
}

// item is one file turned into the parts of a Convert(Stream)Request.
type item struct {
	id      string
	vmi     *converterv1.VirtualMachineInstance // set with -typed
	vmiJSON []byte                              // otherwise: the VMI as the file has it
	context *converterv1.ConverterContext
}

func main() {
	var opts options
	flag.StringVar(&opts.addr, "addr", "127.0.0.1:50051", "server address: host:port or unix:///path")
	flag.StringVar(&opts.context, "context", "", "ConverterContext JSON file for VMI files that are not whole requests")
	flag.BoolVar(&opts.typed, "typed", false, "parse the VMI here (protojson) and send it as a message, not as JSON bytes")
	flag.StringVar(&opts.stream, "stream", "", "convert every file of this directory through ConvertStream")
	flag.DurationVar(&opts.timeout, "timeout", time.Minute, "deadline of the call")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: vmi-convert [flags] FILE | vmi-convert [flags] -stream DIR\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if (opts.stream == "") == (flag.NArg() != 1) || flag.NArg() > 1 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(opts, flag.Arg(0)))
}

func run(opts options, file string) int {
	var defaultContext *converterv1.ConverterContext
	if opts.context != "" {
		data, err := os.ReadFile(opts.context)
		if err == nil {
			defaultContext = &converterv1.ConverterContext{}
			err = protojson.Unmarshal(data, defaultContext)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "vmi-convert: %s: %v\n", opts.context, err)
			return 2
		}
	}

	// grpc-go dials unix:///path and unix:/path itself (older releases through their default dialer).
	// converterclient.Dial: round-robin over every address of ADDR, UNAVAILABLE retried.
	conn, err := converterclient.Dial(opts.addr, grpc.WithInsecure())
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmi-convert: dial %s: %v\n", opts.addr, err)
		return 2
	}
	defer conn.Close()
	client := converterv1.NewConverterClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), opts.timeout)
	defer cancel()

	if opts.stream != "" {
		return stream(ctx, client, opts, defaultContext)
	}
	it, err := readItem(file, opts.typed, defaultContext)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmi-convert: %v\n", err)
		return 2
	}
	request := &converterv1.ConvertRequest{Id: it.id, Context: it.context}
	if it.vmi != nil {
		request.Source = &converterv1.ConvertRequest_Vmi{Vmi: it.vmi}
	} else {
		request.Source = &converterv1.ConvertRequest_VmiJson{VmiJson: it.vmiJSON}
	}
	response, err := client.Convert(ctx, request)
	if err != nil {
		st, _ := status.FromError(err)
		fmt.Fprintf(os.Stderr, "vmi-convert: %s\n", describe(st.Proto()))
		if code.Code(st.Code()) == code.Code_INVALID_ARGUMENT {
			return 1
		}
		return 2
	}
	for _, w := range response.GetWarnings() {
		fmt.Fprintf(os.Stderr, "vmi-convert: warning: %s\n", w)
	}
	fmt.Println(strings.TrimRight(response.GetDomainXml(), "\n"))
	return 0
}

// stream sends the files of opts.stream through one ConvertStream call. Sending runs beside
// receiving, so a large directory never waits for the whole batch to be written.
func stream(ctx context.Context, client converterv1.ConverterClient, opts options, defaultContext *converterv1.ConverterContext) int {
	files, err := listFiles(opts.stream)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmi-convert: %v\n", err)
		return 2
	}
	calls, err := client.ConvertStream(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmi-convert: ConvertStream: %v\n", err)
		return 2
	}

	exit := 0
	// A file that cannot be read or parsed here never reaches the server; its error is
	// printed in its place in the output, which follows the order of the files.
	type sent struct {
		id       string
		localErr error
	}
	order := make(chan sent, len(files))
	sendErr := make(chan error, 1)
	go func() {
		defer close(order)
		for _, file := range files {
			it, err := readItem(file, opts.typed, defaultContext)
			if err != nil {
				order <- sent{id: fileID(file), localErr: err}
				continue
			}
			request := &converterv1.ConvertStreamRequest{Id: it.id, Context: it.context}
			if it.vmi != nil {
				request.Source = &converterv1.ConvertStreamRequest_Vmi{Vmi: it.vmi}
			} else {
				request.Source = &converterv1.ConvertStreamRequest_VmiJson{VmiJson: it.vmiJSON}
			}
			order <- sent{id: it.id}
			if err := calls.Send(request); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- calls.CloseSend()
	}()

	for s := range order {
		fmt.Printf("==> %s <==\n", s.id)
		if s.localErr != nil {
			fmt.Printf("error: %v\n", s.localErr)
			exit = 1
			continue
		}
		response, err := calls.Recv()
		if err != nil {
			if err == io.EOF {
				err = errors.New("stream ended early")
			}
			fmt.Fprintf(os.Stderr, "vmi-convert: ConvertStream: %v\n", err)
			return 2
		}
		for _, w := range response.GetWarnings() {
			fmt.Fprintf(os.Stderr, "vmi-convert: %s: warning: %s\n", response.GetId(), w)
		}
		if e := response.GetError(); e != nil {
			fmt.Printf("error: %s\n", describe(e))
			exit = 1
			continue
		}
		fmt.Println(strings.TrimRight(response.GetDomainXml(), "\n"))
	}
	if err := <-sendErr; err != nil {
		fmt.Fprintf(os.Stderr, "vmi-convert: ConvertStream: %v\n", err)
		return 2
	}
	if _, err := calls.Recv(); err != io.EOF {
		fmt.Fprintf(os.Stderr, "vmi-convert: ConvertStream: unexpected end: %v\n", err)
		return 2
	}
	return exit
}

// describe prints a google.rpc.Status as "CODE: message", plus "field: PATH" lines from its
// google.rpc.BadRequest detail.
func describe(st *rpcstatus.Status) string {
	text := fmt.Sprintf("%s: %s", code.Code(st.GetCode()), st.GetMessage())
	for _, detail := range status.FromProto(st).Details() {
		if bad, ok := detail.(*errdetails.BadRequest); ok {
			for _, violation := range bad.GetFieldViolations() {
				text += "\nfield: " + violation.GetField()
			}
		}
	}
	return text
}

func listFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, entry := range entries {
		switch filepath.Ext(entry.Name()) {
		case ".json", ".yaml", ".yml":
			if !entry.IsDir() {
				files = append(files, filepath.Join(dir, entry.Name()))
			}
		}
	}
	sort.Strings(files)
	return files, nil
}

func fileID(file string) string {
	base := filepath.Base(file)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// readItem reads a VMI file or a whole request file {"id", "vmi", "context"}.
func readItem(file string, typed bool, defaultContext *converterv1.ConverterContext) (*item, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	it := &item{id: fileID(file), vmiJSON: data, context: defaultContext}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) == nil {
		if vmi, ok := top["vmi"]; ok {
			it.vmiJSON = vmi
			if raw, ok := top["id"]; ok {
				if err := json.Unmarshal(raw, &it.id); err != nil {
					return nil, fmt.Errorf("%s: id: %v", file, err)
				}
			}
			if raw, ok := top["context"]; ok {
				it.context = &converterv1.ConverterContext{}
				if err := protojson.Unmarshal(raw, it.context); err != nil {
					return nil, fmt.Errorf("%s: context: %v", file, err)
				}
			}
		}
	}
	if typed {
		it.vmi = &converterv1.VirtualMachineInstance{}
		if err := protojson.Unmarshal(it.vmiJSON, it.vmi); err != nil {
			return nil, fmt.Errorf("%s: vmi: %v", file, err)
		}
		it.vmiJSON = nil
	}
	return it, nil
}
