#!/usr/bin/env python3
"""A client of the Open Inference Protocol (KServe "v2"), written from the
protocol's documentation alone, with Python's standard library.

It asks a server whether it is ready, reads a model's metadata, reads
Fashion-MNIST test images from an IDX file, and asks for their
probabilities twice: as UINT8 (raw pixels) and as FP32 (pixels / 255).
With --image it also uploads a PNG or JPEG to Tailor's classify endpoint.
It prints one JSON object:

    {"model": NAME, "indices": [...],
     "uint8": [[p0, ..., p9], ...], "fp32": [[...], ...],
     "image": [p0, ..., p9]}

Usage:

    python3 scripts/v2_client.py --url http://127.0.0.1:8080 --model mlp \\
        --images /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \\
        --index 0 1 2 [--image shirt.png]

tailor's own tests run it against tailor serve and compare with tailor
predict (cmd/tailor/serve_test.go).
"""

import argparse
import gzip
import json
import struct
import sys
import urllib.error
import urllib.request


def call(method, url, body=None, content_type=None):
    """Sends a request and returns the decoded JSON answer."""
    req = urllib.request.Request(url, data=body, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.load(res)
    except urllib.error.HTTPError as err:
        # The protocol's error object: {"error": "..."}.
        detail = json.load(err).get("error", "")
        sys.exit(f"{method} {url}: HTTP {err.code}: {detail}")


def read_idx_images(path, indices):
    """Returns the rows, columns and flat pixels of the chosen images."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x803:
            sys.exit(f"{path}: magic {magic:#x}, want 0x803 (an IDX file of images)")
        data = f.read(n * rows * cols)
    images = []
    for i in indices:
        if not 0 <= i < n:
            sys.exit(f"--index {i}: {path} has images 0 to {n - 1}")
        images.append(list(data[i * rows * cols:(i + 1) * rows * cols]))
    return rows, cols, images


def infer(base, model, input_tensor, output_tensor, datatype, shape, data):
    """POST /v2/models/{model}/infer; returns the output rows."""
    request = {
        "id": f"v2-client-{datatype.lower()}",
        "inputs": [{"name": input_tensor, "shape": shape, "datatype": datatype, "data": data}],
        "outputs": [{"name": output_tensor}],
    }
    res = call("POST", f"{base}/v2/models/{model}/infer", json.dumps(request).encode(), "application/json")
    if res.get("id") != request["id"]:
        sys.exit(f"the response's id {res.get('id')!r} is not the request's {request['id']!r}")
    (out,) = [o for o in res["outputs"] if o["name"] == output_tensor]
    n, k = out["shape"]
    flat = out["data"]
    if len(flat) != n * k:
        sys.exit(f"output of shape {out['shape']} has {len(flat)} values")
    return [flat[r * k:(r + 1) * k] for r in range(n)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="the server, such as http://127.0.0.1:8080")
    p.add_argument("--model", required=True)
    p.add_argument("--images", required=True, help="an IDX file of images (t10k-images-idx3-ubyte[.gz])")
    p.add_argument("--index", type=int, nargs="+", required=True, help="the images to send")
    p.add_argument("--image", help="a PNG or JPEG to upload to /v1/models/{model}:classify")
    args = p.parse_args()
    base = args.url.rstrip("/")

    if not call("GET", f"{base}/v2/health/ready").get("ready"):
        sys.exit("the server is not ready")
    meta = call("GET", f"{base}/v2/models/{args.model}")
    (inp,), (out,) = meta["inputs"], meta["outputs"]
    rows, cols, images = read_idx_images(args.images, args.index)
    if inp["shape"][1:] != [rows, cols]:
        sys.exit(f"the model's input is {inp['shape']}, the images are {rows}×{cols}")

    shape = [len(images), rows, cols]
    flat = [v for img in images for v in img]
    result = {
        "model": meta["name"],
        "indices": args.index,
        "uint8": infer(base, args.model, inp["name"], out["name"], "UINT8", shape, flat),
        "fp32": infer(base, args.model, inp["name"], out["name"], "FP32", shape, [v / 255.0 for v in flat]),
    }
    if args.image:
        with open(args.image, "rb") as f:
            body = f.read()
        kind = "image/jpeg" if body[:3] == b"\xff\xd8\xff" else "image/png"
        res = call("POST", f"{base}/v1/models/{args.model}:classify?top=3", body, kind)
        result["image"] = res["probabilities"]
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
