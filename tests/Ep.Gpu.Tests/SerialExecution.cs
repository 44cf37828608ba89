using Xunit.Sdk;
using Xunit.v3;

// The GPU tests share one device, and several capture CUDA graphs: while one test captures a stream, a CUDA call of
// another test on the same context that the capture does not permit fails — and inside NCCL EP that is an abort of the
// whole test process ("operation not permitted when stream is capturing", seen on the device machine in run 17 when
// the suite ran its classes in parallel). So every test runs alone, however the runner is invoked.
[assembly: Parallelization(Mode = ParallelMode.None)]
