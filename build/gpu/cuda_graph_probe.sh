#!/usr/bin/env bash
# Facts for the CUDA-graph question (docs/benchmarks.md): what this machine offers to build a native shim against the
# installed PyTorch, then a compile-and-run of build/gpu/cuda_graph_probe.cpp. Arg: PyTorch's torch/lib folder.
set -uo pipefail
lib=$1; torch=$(dirname "$lib"); site=$(dirname "$torch")
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cxx11 abi", torch._C._GLIBCXX_USE_CXX11_ABI)'
echo "CUDAGraph.h: $(ls "$torch/include/ATen/cuda/CUDAGraph.h" 2>/dev/null || echo missing)"
runtime=$(find "$site/nvidia" /usr/local/cuda*/include /usr/include -maxdepth 4 -name cuda_runtime_api.h 2>/dev/null | head -1)
echo "cuda_runtime_api.h: ${runtime:-missing}"
compiler=$(command -v c++ || command -v g++ || command -v clang++ || true)
echo "c++ compiler: ${compiler:-none} $([ -n "$compiler" ] && "$compiler" --version | head -1)"
[ -n "$compiler" ] && [ -n "$runtime" ] && [ -f "$torch/include/ATen/cuda/CUDAGraph.h" ] || { echo "cannot build the probe here"; exit 0; }
abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
includes="-I$torch/include -I$torch/include/torch/csrc/api/include"
for dir in $(find "$site/nvidia" -maxdepth 3 -type d -name include 2>/dev/null) "$(dirname "$runtime")"; do includes="$includes -I$dir"; done
begin=$(date +%s)
if "$compiler" -std=c++17 -O1 -D_GLIBCXX_USE_CXX11_ABI="$abi" build/gpu/cuda_graph_probe.cpp $includes \
     -L"$lib" -Wl,-rpath,"$lib" -Wl,--no-as-needed -ltorch -ltorch_cpu -ltorch_cuda -lc10 -lc10_cuda -o /tmp/cuda_graph_probe 2>/tmp/probe-build.log; then
  echo "built in $(( $(date +%s) - begin )) s"
  /tmp/cuda_graph_probe
else
  echo "build failed after $(( $(date +%s) - begin )) s:"; head -20 /tmp/probe-build.log
fi
