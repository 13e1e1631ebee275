// The Go client of vmi-converter: generated stubs (kubevirt/converter/v1) and an example command.
// This repository builds it in GOPATH mode from Debian's packages (scripts/setup-clients, README);
// the requirements (google.golang.org/grpc, google.golang.org/protobuf, google.golang.org/genproto)
// are left for `go mod tidy` where a module proxy is reachable.
module github.com/vmi-converter/vmi-converter/clients/go

go 1.19
