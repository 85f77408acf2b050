// Package serve is Tailor's prediction server: the Open Inference
// Protocol (KServe's "v2" protocol, which Triton, KServe and Seldon clients
// speak), a classify endpoint that takes a PNG or JPEG, Prometheus
// metrics, and a page where a person drops, picks or draws an image and
// sees what each model thinks of it.
//
// New takes the models, already loaded, and returns a Server, an
// http.Handler; Server.Serve serves it on a listener until its context
// ends, then shuts down gracefully. tailor serve (cmd/tailor/serve.go) is the command
// line around both.
//
// # Endpoints
//
//	GET  /                                  the page (embedded HTML, CSS and JavaScript; no external requests)
//	GET  /v2                                server metadata
//	GET  /v2/health/live, /v2/health/ready  liveness and readiness
//	GET  /v2/models/{name}[/versions/{v}]   model metadata: the input "input", FP32 [-1, 28, 28]; the output "probabilities", FP32 [-1, 10]
//	GET  /v2/models/{name}[/versions/{v}]/ready
//	POST /v2/models/{name}[/versions/{v}]/infer
//	POST /v1/models/{name}:classify         a PNG or JPEG (multipart or raw body): top classes, the distribution, the input the model received
//	GET  /v1/models                         the models, for the page
//	GET  /v1/models/{name}/card             the model card: summary, settings, test metrics, figure links
//	GET  /v1/models/{name}/figures/{f}.svg  the card's figures
//	GET  /models/{name}/report              the model's full report page (package report)
//	GET  /metrics                           Prometheus metrics
//
// An infer request carries one input named "input" of datatype FP32
// (already scaled, as the model's training images were) or UINT8 (raw
// pixels 0–255, which the server multiplies by the model's
// Preprocessing.Rescale exactly as tensor.FromUint8 does), shaped [N, 28,
// 28] for the Fashion-MNIST models, its data a flat or nested row-major
// array (nested arrays must each have the length of their dimension of
// the shape, or hold all the values of the dimensions below). The
// response's output "probabilities" is FP32 [N, 10], in JSON. Of Triton's
// extensions, binary tensor data is refused, an output's "binary_data"
// parameter is answered in JSON (which Triton's clients read), and an
// output's "classification" parameter is a 400; "outputs", when given,
// lists "probabilities" once. The request body is JSON:
// its Content-Type application/json, or none, as tritonclient.http sends
// it.
//
// A model trained on a table (Meta.Tabular set) takes FP32 [N, F] only:
// the F features its saved preprocessing makes of a row (encoded and
// scaled), which the server does not apply (tailor predict --csv does);
// its metadata lists them as feature_names, without uint8_rescale and
// polarity, and UINT8 inputs and classify are 400s. A model with one
// sigmoid output and two class names outputs [N, 1], the probability of
// the second class; classify shows both.
//
// Classify prepares an upload as tailor predict prepares an image file.
// For a model trained on an image folder (Meta.Preprocessing.ColorMode
// set) that is package imagefolder's preparation of its training images:
// converted to the colour mode, resized to the model's height and width
// with the saved interpolation, rescaled; the invert parameter does not
// apply (it is a 400). For the others it is Fashion-MNIST's (package
// preprocessing): gray, padded to a square, shrunk, and inverted when its
// polarity is not the model's (invert=auto|never|always).
//
// # Errors and limits
//
// Every request the server cannot serve gets a JSON body {"error": "..."}
// naming what was expected: 400 for malformed JSON, shapes, datatypes and
// values; 404 for unknown models and paths; 405 for a wrong method; 413 for
// a body or image over the limits, or an infer request whose answer would
// hold more values than half of Options.MaxBodyBytes (a model whose outputs
// outnumber its inputs); 415 for a wrong content type or a
// compressed body (a Content-Encoding other than identity); 422 when
// a request's values, valid but too large for the model, make its output
// overflow to NaN or ±Inf; 429 when Options.MaxInFlight inference
// requests are already being served. A 5xx means the server itself
// failed, never the request: New refuses a model whose output for a blank
// example is not finite, so that a request's output that is not is the
// request's doing. A path that is not clean (//v2/..., a "." or ".."
// element) is redirected, 307 with a JSON body naming the endpoint, when
// its clean path is one; otherwise it gets the clean path's 404 or 405.
//
// # Batching
//
// With Options.MaxBatch above 1, concurrent infer and classify requests for
// the same model are gathered into one batch of up to MaxBatch examples,
// run in forward passes of at most 256: the first request of a batch
// waits at most Options.MaxWait for others. Each model has Options.BatchWorkers goroutines forming and
// running batches, so one batch can be formed while another runs. Without
// batching each request runs its own forward pass in its own goroutine,
// which a loaded model allows (see tailor.Model).
package serve
