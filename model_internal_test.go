package tailor

import "testing"

// TestSnakeCase checks the default layer names against Keras's
// to_snake_case.
func TestSnakeCase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Dense", "dense"},
		{"Flatten", "flatten"},
		{"Conv2D", "conv2d"},
		{"MaxPooling2D", "max_pooling2d"},
		{"AveragePooling2D", "average_pooling2d"},
		{"GlobalAveragePooling2D", "global_average_pooling2d"},
		{"BatchNormalization", "batch_normalization"},
		{"Conv2DTranspose", "conv2d_transpose"},
		{"ReLU", "re_lu"},
		{"LeakyReLU", "leaky_re_lu"},
		{"PReLU", "p_re_lu"},
		{"SimpleRNN", "simple_rnn"},
		{"LSTM", "lstm"},
		{"ZeroPadding2D", "zero_padding2d"},
	}
	for _, tt := range tests {
		if got := snakeCase(tt.in); got != tt.want {
			t.Errorf("snakeCase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
