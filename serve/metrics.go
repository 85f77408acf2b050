package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// telemetry is the server's Prometheus metrics, in a registry of its own
// (no global state): request counts and latencies by endpoint, forward
// passes' sizes and times by model, what each model is, and the Go
// runtime's and the process's own collectors (resident memory among
// them).
type telemetry struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec   // code, endpoint
	duration  *prometheus.HistogramVec // endpoint
	batchSize *prometheus.HistogramVec // model
	forward   *prometheus.HistogramVec // model
	info      *prometheus.GaugeVec     // model, version, input_shape, output_shape, classes
	params    *prometheus.GaugeVec     // model
}

// newTelemetry returns the metrics; inFlight counts the inference
// requests being served.
func newTelemetry(inFlight func() float64) *telemetry {
	m := &telemetry{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tailor_http_requests_total",
			Help: "HTTP requests answered, by status code and endpoint.",
		}, []string{"code", "endpoint"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tailor_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by endpoint.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"endpoint"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tailor_inference_batch_size",
			Help:    "Examples per call of the model (one batch of the batcher, or one request's; a call beyond the model's default batch runs as several passes), by model.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}, []string{"model"}),
		forward: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tailor_inference_duration_seconds",
			Help:    "Time of one call of the model (see tailor_inference_batch_size), by model.",
			Buckets: []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
		}, []string{"model"}),
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tailor_model_info",
			Help: "The models loaded, one series of value 1 each.",
		}, []string{"model", "version", "input_shape", "output_shape", "classes"}),
		params: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tailor_model_parameters",
			Help: "Weights of each model loaded.",
		}, []string{"model"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.batchSize, m.forward, m.info, m.params,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tailor_http_requests_in_flight",
			Help: "Inference requests being served now (infer and classify).",
		}, inFlight),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}
