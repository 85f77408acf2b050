// Package saving stores models in files and reads them back: the whole
// model (Save, Load), its weights alone (SaveWeights, LoadWeights) and
// training checkpoints that resume exactly (SaveCheckpoint,
// LoadCheckpoint). It is Keras's model.save, keras.models.load_model and
// BackupAndRestore's storage.
//
// # The model file
//
// A model file (model.tailor by convention) is a zip archive, its entries
// stored uncompressed, holding:
//
//	config.json            the architecture and everything around it (below)
//	model.safetensors      the weights, one F32 tensor per parameter, named
//	                       layer/parameter: "dense/kernel", "dense/bias", ...
//	optimizer.safetensors  the optimizer's state for resuming training: its
//	                       per-weight buffers named slot/layer/parameter
//	                       ("m/dense/kernel", "v/dense/kernel" for Adam),
//	                       its step count in the metadata key "iterations"
//	training.json          in checkpoints only: where training stopped
//
// The safetensors entries follow Hugging Face's format exactly (package
// safetensors), so unzip model.tailor and, in Python,
// safetensors.numpy.load_file("model.safetensors") reads the weights.
//
// config.json is
//
//	{
//	  "format": "tailor.model", "format_version": 1,
//	  "model": {"class_name": "Sequential", "config": {
//	    "name": "sequential", "seed": 0, "build_input_shape": [28, 28],
//	    "layers": [
//	      {"class_name": "Flatten", "config": {"name": "flatten"}},
//	      {"class_name": "Dense", "config": {"name": "dense", "units": 128, "activation": "relu", "use_bias": true}},
//	      ...]}},
//	  "compile_config": {
//	    "optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.001, ...}},
//	    "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
//	  "class_names": ["T-shirt/top", "Trouser", ...],
//	  "preprocessing": {"rescale": 0.00392156862745098, "polarity": "light_on_dark"}
//	}
//
// with each layer's configuration as its Config method gives it, under
// Keras's key names. A model trained on one's own images (tailor train
// --images) records the colour mode and resizing instead of the polarity:
//
//	"preprocessing": {"rescale": 0.00392156862745098, "color_mode": "rgb", "interpolation": "bilinear"}
//
// and a model trained on a table (tailor train --csv) has no
// "preprocessing" but "tabular", the fitted preprocessing.Pipeline — each
// feature column's kind, encoding and categories, the scaler's means and
// scales, the target and its classes — validated on load as strictly as
// the rest (preprocessing.ParsePipeline), and against the model's input
// width:
//
//	"class_names": ["0", "1"],
//	"tabular": {"features": [{"name": "CreditScore", "kind": "numeric"},
//	    {"name": "Geography", "kind": "categorical", "encoding": "one_hot",
//	     "categories": ["France", "Germany", "Spain"], "handle_unknown": "error"}, ...],
//	  "scale": "numeric", "scaler": {"mean": [...], "scale": [...]},
//	  "target": {"name": "Exited", "classes": ["0", "1"]}}
//
// # Safety
//
// Loading runs no code from the file: layers are rebuilt by name through a
// fixed switch (layers.FromConfig). Every part is checked — the archive's
// entries and checksums, the JSON (unknown keys are errors), the layer
// types and arguments, the safetensors header, every weight's name, shape
// and finiteness, the optimizer state's sizes — and a damaged file gives an
// error that names what is wrong, never a panic. Memory stays bounded by
// the file: entries must be stored (a deflated one, which Tailor never
// writes, is refused unread), headers are capped, a layer may not ask for
// many more weights than the file holds, the layers' outputs for one
// example must fit MaxActivationBytes, and training.json
// is read only by LoadCheckpoint, capped. docs/limits.md lists every
// limit.
//
// Writes are atomic: the file is written under a temporary name in the
// same directory, synced, and renamed over the old one, so a crash leaves
// either the old file or the new, never half of one.
package saving
