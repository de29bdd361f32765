// Package grpcconformance is the behaviour contract of grpctrace, run
// against a traceplug backend the way package conformance runs the HTTP
// contract: give [Run] the backend's [conformance.Harness] (its collector
// decodes what the backend really sent), and each property becomes a
// subtest, once with gRPC stats handlers and once with interceptors.
//
//	func TestGRPCConformance(t *testing.T) {
//		grpcconformance.Run(t, jaegertest.Harness("udp"))
//	}
//
// Every property drives real gRPC calls over loopback TCP to gRPC's own
// test service (google.golang.org/grpc/interop/grpc_testing), closes the
// tracers, and reads back what the collector decoded. It is ordinary
// (non-test) code so that third-party backends run it too; it lives in the
// grpctrace module because the conformance package, in traceplug's root
// module, cannot import gRPC.
package grpcconformance
