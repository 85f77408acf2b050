# Tailor's two set-up commands:
#   make tutorial   runs the TensorFlow Fashion-MNIST tutorial end to end
#   make test       runs every test
# Both fetch what they need: the dataset comes from Debian's
# dataset-fashion-mnist package where apt-get is available (as root), and
# Tailor downloads and verifies it otherwise.

GO ?= go
BIN := bin/tailor
DATA := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: all build data tutorial test bench compare-sklearn clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tailor

# data installs Debian's copy of Fashion-MNIST when it is missing and this
# is a Debian machine we may administer; elsewhere tailor downloads it.
data:
	@if [ ! -f $(DATA) ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist; \
	fi

tutorial: build data
	mkdir -p out
	$(BIN) tutorial --out out

test: data
	$(GO) test ./...
	$(GO) test -tags purego ./internal/kernels
	TAILOR_KERNELS=avx2 $(GO) test ./internal/kernels
	$(GO) test -tags purego -run 'NoSubnormal|KernelPaths' .
	TAILOR_KERNELS=avx2 $(GO) test -run 'NoSubnormal' .
	TAILOR_KERNELS=generic $(GO) test -run 'NoSubnormal' .
	$(GO) test -race ./internal/kernels
	$(GO) test -race -run 'Concurrent|PredictInto' .
	$(GO) test -race -short ./serve/ ./cmd/tailor-loadtest/

bench: build
	$(BIN) bench

# compare-sklearn trains tailor train --dataset breast-cancer|iris|wine and
# scikit-learn's MLPClassifier on the same splits from the same initial
# weights (needs Debian's python3-sklearn); results in out/compare-sklearn.
compare-sklearn:
	scripts/compare-sklearn.sh out/compare-sklearn

clean:
	rm -rf bin out
