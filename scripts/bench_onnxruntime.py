#!/usr/bin/env python3
"""Times raw ONNX Runtime (Python) on one model: the reference the Rust ONNX Runtime path is
compared with (examples/ort_vs_python.rs runs this between its own rounds).

    bench_onnxruntime.py MODEL.onnx --threads 1 --runs 200

Prints one line: the run times in milliseconds, space-separated.
"""

import argparse
import time

import numpy as np
import onnxruntime as ort


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    meta = session.get_inputs()[0]
    size = int(np.prod(meta.shape))
    # The same input the Rust side uses: (i mod 251) / 250.
    x = ((np.arange(size) % 251) / 250.0).astype(np.float32).reshape(meta.shape)
    feed = {meta.name: x}
    for _ in range(args.warmup):
        session.run(None, feed)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - start) * 1e3)
    print(" ".join(f"{t:.4f}" for t in times))


if __name__ == "__main__":
    main()
