// Can an external binary capture and replay CUDA graphs through the libtorch of an installed PyTorch? That is what a
// .NET shim would do (TorchSharp binds no CUDA graphs): set a side stream current on the calling thread, capture the
// ops issued there into an at::cuda::CUDAGraph, replay it per step. This probe does the same with 100 small kernels
// (50 x addmm + tanh on a 32 x 4096 bf16 activation, a decoder layer's scale) and reports agreement and timings.
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <chrono>
#include <cstdio>

int main() {
  auto options = at::TensorOptions().device(at::kCUDA).dtype(at::kBFloat16);
  auto x = at::randn({32, 4096}, options), w = at::randn({4096, 4096}, options).mul_(0.01);
  auto layers = [&] {
    auto y = x;
    for (int i = 0; i < 50; ++i) y = at::addmm(x, y, w).tanh();
    return y;
  };
  auto stream = c10::cuda::getStreamFromPool();
  at::Tensor eager, captured;
  {
    c10::cuda::CUDAStreamGuard guard(stream);  // warm-up off the default stream (cuBLAS workspaces), as capture needs
    eager = layers();
  }
  stream.synchronize();
  at::cuda::CUDAGraph graph;
  {
    c10::cuda::CUDAStreamGuard guard(stream);
    graph.capture_begin();
    captured = layers();
    graph.capture_end();
  }
  graph.replay();
  stream.synchronize();
  double diff = (captured.to(at::kFloat) - eager.to(at::kFloat)).abs().max().item<double>();
  auto time = [&](auto&& body) {
    c10::cuda::CUDAStreamGuard guard(stream);
    body();
    stream.synchronize();
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) body();
    stream.synchronize();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / 20;
  };
  double eagerMs = time([&] { layers(); }), replayMs = time([&] { graph.replay(); });
  std::printf("capture/replay ok: max |replay - eager| %.3g; 100 kernels: eager %.3f ms, graph replay %.3f ms\n", diff, eagerMs, replayMs);
  return 0;
}
