package optimizers_test

import (
	"fmt"
	"log"

	"github.com/tailor-ml/tailor/optimizers"
)

// Keras's use_ema: Adam keeps a moving average of the weights, which Fit
// copies into the model when training ends. The configuration saved with
// a model records it.
func ExampleAdamOptimizer_UseEMA() {
	opt := optimizers.Adam()
	if err := opt.UseEMA(0.999, 0); err != nil {
		log.Fatal(err)
	}
	cfg := opt.Config()
	fmt.Println(cfg["use_ema"], cfg["ema_momentum"], cfg["ema_overwrite_frequency"])
	// Output: true 0.999 <nil>
}
