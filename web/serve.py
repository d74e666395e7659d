#!/usr/bin/env python3
"""Serves web/dist/ on 127.0.0.1 and prints one line with the URL (`make web`).

    web/serve.py [--port 8080] [--dir web/dist]

Plain HTTP on the loopback address: browsers treat http://127.0.0.1 as a secure context, so the
camera (getUserMedia) and WebGPU work there. `.wasm` is served as application/wasm.
"""

import argparse
import functools
import http.server
from pathlib import Path


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".ron": "text/plain",
        ".onnx": "application/octet-stream",
    }

    def end_headers(self):
        # Always the newest build: no stale .wasm after `make web`.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent / "dist")
    args = parser.parse_args()
    if not (args.dir / "index.html").exists():
        raise SystemExit(f"{args.dir}/index.html is missing: build first (make web)")
    handler = functools.partial(Handler, directory=str(args.dir))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"backdrop web: http://127.0.0.1:{server.server_address[1]}/", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
