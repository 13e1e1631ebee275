// Package client dials the vmi-converter service with the service config its clients should use:
// calls balanced round-robin over every address the target resolves to, and retried on UNAVAILABLE
// when they are idempotent.
//
//	conn, err := client.Dial("dns:///vmi-converter-headless.ns.svc:50051", grpc.WithTransportCredentials(creds))
//	converter := converterv1.NewConverterClient(conn)
package client

import (
	"context"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"
)

const service = "kubevirt.converter.v1.Converter"

// IdempotentMethods may be sent again: each answer depends on its request alone (ConvertStream:
// only its opening; once the server answered, the stream is committed to that server).
var IdempotentMethods = []string{"Convert", "ConvertStream", "Explain", "Info", "MigratableXML", "HotplugDisk"}

// ServiceConfig is the gRPC service config Dial applies unless the caller passes its own
// grpc.WithDefaultServiceConfig. round_robin keeps a connection to every address the target
// resolves to (a headless Service's pods, or "ipv4:10.0.0.1:50051,10.0.0.2:50051") and spreads calls
// over them; pick_first, gRPC's default, would send everything to one. The retry policy sends a call
// that found its server gone (UNAVAILABLE: refused, reset, shutting down) again.
var ServiceConfig = `{
  "loadBalancingConfig": [{"round_robin": {}}],
  "methodConfig": [{
    "name": [` + methodNames() + `],
    "retryPolicy": {
      "maxAttempts": 5,
      "initialBackoff": "0.1s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`

const (
	maxAttempts    = 5
	initialBackoff = 100 * time.Millisecond
	maxBackoff     = time.Second
)

func methodNames() string {
	names := make([]string, len(IdempotentMethods))
	for i, m := range IdempotentMethods {
		names[i] = `{"service": "` + service + `", "method": "` + m + `"}`
	}
	return strings.Join(names, ", ")
}

// Dial is grpc.Dial with ServiceConfig as the default service config (options given later win).
// Besides grpc-go's targets (host:port, dns:///name:port, unix:///path) it takes the address lists
// the C and Node.js gRPC libraries know, "ipv4:10.0.0.1:50051,10.0.0.2:50051" and
// "ipv6:[::1]:50051,...", which grpc-go has no resolver for.
func Dial(target string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	all := []grpc.DialOption{grpc.WithDefaultServiceConfig(ServiceConfig)}
	if retriesNeedInterceptors() {
		all = append(all, grpc.WithChainUnaryInterceptor(retryUnary), grpc.WithChainStreamInterceptor(retryStreamOpen))
	}
	if addresses, ok := addressList(target); ok {
		static := manual.NewBuilderWithScheme("vmi-converter-addresses")
		static.InitialState(resolver.State{Addresses: addresses})
		target = static.Scheme() + ":///" + addresses[0].Addr // the first address names the authority
		all = append(all, grpc.WithResolvers(static))
	}
	return grpc.Dial(target, append(all, opts...)...)
}

// addressList reads "ipv4:ADDR:PORT,..." or "ipv6:[ADDR]:PORT,...".
func addressList(target string) ([]resolver.Address, bool) {
	var list string
	switch {
	case strings.HasPrefix(target, "ipv4:"):
		list = strings.TrimPrefix(target, "ipv4:")
	case strings.HasPrefix(target, "ipv6:"):
		list = strings.TrimPrefix(target, "ipv6:")
	default:
		return nil, false
	}
	var addresses []resolver.Address
	for _, address := range strings.Split(list, ",") {
		addresses = append(addresses, resolver.Address{Addr: strings.TrimPrefix(address, "//")})
	}
	return addresses, true
}

// retriesNeedInterceptors tells whether Dial must retry itself: grpc-go applies a service config's
// retry policy from 1.40 on, before that (Debian 12 packages 1.33) only with GRPC_GO_RETRY=on.
// GRPC_GO_RETRY=off turns retries off either way.
func retriesNeedInterceptors() bool {
	switch strings.ToLower(os.Getenv("GRPC_GO_RETRY")) {
	case "on", "off":
		return false
	}
	parts := strings.SplitN(grpc.Version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, errMajor := strconv.Atoi(parts[0])
	minor, errMinor := strconv.Atoi(parts[1])
	return errMajor == nil && errMinor == nil && major == 1 && minor < 40
}

func idempotent(fullMethod string) bool {
	for _, m := range IdempotentMethods {
		if fullMethod == "/"+service+"/"+m {
			return true
		}
	}
	return false
}

// retrying runs attempt up to maxAttempts times while it fails with UNAVAILABLE, with the policy's
// jittered exponential backoff, and never past the call's deadline.
func retrying(ctx context.Context, fullMethod string, attempt func() error) error {
	backoff := initialBackoff
	for tries := 1; ; tries++ {
		err := attempt()
		if err == nil || tries == maxAttempts || !idempotent(fullMethod) || status.Code(err) != codes.Unavailable {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(rand.Int63n(int64(backoff)) + 1)):
		}
		if backoff *= 2; backoff > maxBackoff {
			backoff = maxBackoff
		}
	}
}

func retryUnary(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return retrying(ctx, method, func() error { return invoker(ctx, method, req, reply, cc, opts...) })
}

func retryStreamOpen(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
	streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	var stream grpc.ClientStream
	err := retrying(ctx, method, func() (err error) {
		stream, err = streamer(ctx, desc, cc, method, opts...)
		return err
	})
	return stream, err
}
