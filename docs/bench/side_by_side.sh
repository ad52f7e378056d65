#!/bin/bash
# Side by side on this machine: llama.cpp and this project's bench, SmolLM-135M shape, 2 threads, interleaved.
cd "$(dirname "$0")/../.."
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
B=${LLAMA_CPP:-../llama.cpp}/build/bin
M=${GGUF_DIR:-../llama-models}
ours() { echo "### ours $*"; $J25 --add-modules jdk.incubator.vector -Xmx2g -jar examples/target/attention-sinks.jar bench --synthetic smollm-135m --device cpu --modes sinks --positions 1100 --warmup-tokens 64 --measure-tokens 128 --threads 2 "$@" 2>&1 | grep -E "^\| synthetic|scheduler:|first token|VmHWM|loaded"; }
llama() { echo "### llama.cpp $1 npl $2"; $B/llama-batched-bench -m $M/smollm-135m-$1.gguf -c $3 -b 2048 -ub 512 -npp 1020 -ntg 128 -npl $2 -t 2 2>&1 | grep -E "^\|  *1020"; }
for round in 1 2; do
  echo "## round $round $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  llama f32 1 2048
  ours --kernels libtorch --dtype float32
  ours --kernels java --dtype float32
  llama f16 1 2048
  ours --kernels libtorch --dtype float16
  ours --kernels java --dtype float16
  llama q8_0 1 2048
  ours --dtype int8
done
echo "## sessions $(date +%T)"
llama f32 8 9400
ours --kernels java --dtype float32 --sessions 1,8 --prefill-chunk 16
llama f16 8 9400
ours --kernels java --dtype float16 --sessions 1,8 --prefill-chunk 16
llama q8_0 8 9400
ours --dtype int8 --sessions 1,8 --prefill-chunk 16
echo "## done $(date +%T)"
