# Sourced ON THE GPU MACHINE by run.sh and train.sh: .NET from the carried tarball (the machine has none) and
# PyTorch's CUDA libtorch for TorchSharp (set LIBTORCH to use another, e.g. the CPU one for a dry run here).
mkdir -p /tmp/dn && tar xJf .device/dotnet.tar.xz -C /tmp/dn
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1
if [ -z "${LIBTORCH:-}" ]; then
  LIBTORCH=$(ls -d /opt/torch/.venv/lib/python3*/site-packages/torch/lib 2>/dev/null | head -1)
  [ -z "$LIBTORCH" ] && LIBTORCH=$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')
fi
export MERCURY_LIBTORCH=$LIBTORCH LD_LIBRARY_PATH=$LIBTORCH:${LD_LIBRARY_PATH:-}
