"""Gathers what build/gpu/run.sh wrote under OUT into one JSON document (printed), for docs/benchmarks.md."""
import json, os, re, sys

out = sys.argv[1]

def read(name):
    path = os.path.join(out, name)
    return open(path).read() if os.path.exists(path) else None

def load(name):
    text = read(name)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None

memory = read("gpu-memory.csv") or ""
used = [int(m) for m in re.findall(r",\s*(\d+)\s*MiB", memory)]
results = {
    "gpu": (read("gpu.txt") or "").strip(),
    "parity": [line for line in (read("parity.txt") or "").splitlines() if line.startswith("parity ")],
    "llada_8b": load("llada-8b.json"),
    "dream_7b": load("dream-7b.json"),
    "forward": {f[len("forward-"):-4]: (read(f) or "").strip().splitlines()[-1:] for f in sorted(os.listdir(out)) if f.startswith("forward-")},
    "host": {f[len("host-"):-5]: load(f) for f in sorted(os.listdir(out)) if f.startswith("host-") and f.endswith(".json")},
    "peak_gpu_memory_mib_whole_run": max(used) if used else None,
    "cuda_graph_probe": (read("cuda-graph-probe.txt") or "").strip().splitlines(),
    "stages": (read("stages.txt") or "").strip().splitlines(),
}
print(json.dumps(results, indent=1, allow_nan=True))
