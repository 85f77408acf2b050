package pyrepr

import (
	"math"
	"testing"
)

func TestRepr(t *testing.T) {
	labels := make([]uint8, 60000)
	copy(labels, []uint8{9, 0, 0})
	copy(labels[59997:], []uint8{3, 0, 5})
	classes := make([]int, 10000)
	copy(classes, []int{9, 2, 1})
	copy(classes[9997:], []int{8, 1, 5})
	long := make([]int, 5000)
	copy(long, []int{79442760, 15658490, 66730204})
	copy(long[4997:], []int{-88041361, 91156079, 35603867})
	for _, tc := range []struct{ got, want string }{
		{Int(labels, "uint8"), "array([9, 0, 0, ..., 3, 0, 5], dtype=uint8)"},
		{Int(classes, ""), "array([9, 2, 1, ..., 8, 1, 5])"},
		{Int([]int{1, 2}, "int64"), "array([1, 2])"},
		{Tuple(Shape([]int{60000, 28, 28}), Shape([]int{60000})), "((60000, 28, 28), (60000,))"},
		{Shape(nil), "()"},
		{Float(72.94035223214286), "72.94035223214286"},
		{Float(255), "255.0"},
		{Float(0.8841), "0.8841"},
		{Float(1e-05), "1e-05"},
		{Float(1.5e20), "1.5e+20"},
		// Python's repr, not Go's %g: scientific only from 1e16 on.
		{Float(1234567), "1234567.0"},
		{Float(1e15), "1000000000000000.0"},
		{Float(1e16), "1e+16"},
		{Float(0.0001), "0.0001"},
		{Float(math.Copysign(0, -1)), "-0.0"},
		{Float(math.NaN()), "nan"},
		{Float(math.Inf(-1)), "-inf"},
		// What Python prints: double quotes for a string with a single
		// quote and no double one, escapes for what is not printable.
		{Strings([]string{"T-shirt/top", "Trouser", "it's"}), `['T-shirt/top', 'Trouser', "it's"]`},
		{Strings([]string{`say "hi"`, `both ' "`, `back\slash`, "tab\tnl\n", "é ü", "\x00\x7f\u00a0", "\u2028", "\U0001F600", "\U000E0001"}),
			`['say "hi"', 'both \' "', 'back\\slash', 'tab\tnl\n', 'é ü', '\x00\x7f\xa0', '\u2028', '😀', '\U000e0001']`},
		// What numpy 1.24 prints for these float32 arrays.
		{Float32([]float32{1.0232168e-07, 3.2094574e-09, 1.1669734e-08, 4.4385074e-09, 6.3627214e-08, 2.5637373e-03, 1.5051398e-07, 2.8541302e-02, 4.3219565e-06, 9.6889055e-01}),
			"array([1.0232168e-07, 3.2094574e-09, 1.1669734e-08, 4.4385073e-09,\n       6.3627212e-08, 2.5637373e-03, 1.5051398e-07, 2.8541302e-02,\n       4.3219566e-06, 9.6889055e-01], dtype=float32)"},
		{Float32([]float32{0.25, 0.5, 0.125}), "array([0.25 , 0.5  , 0.125], dtype=float32)"},
		{Float32([]float32{1e-5, 0.5, 1}), "array([1.e-05, 5.e-01, 1.e+00], dtype=float32)"},
		{Float32([]float32{0.1, 0.2, 1}), "array([0.1, 0.2, 1. ], dtype=float32)"},
		// Left padding to the widest integer part, and nan and inf.
		{Float32([]float32{-1, 0.5}), "array([-1. ,  0.5], dtype=float32)"},
		{Float32([]float32{-12.5, 3.25, 100}), "array([-12.5 ,   3.25, 100.  ], dtype=float32)"},
		{Float32([]float32{-0.5, 1e-5}), "array([-5.e-01,  1.e-05], dtype=float32)"},
		{Float32([]float32{float32(math.NaN()), 1, 0.5}), "array([nan, 1. , 0.5], dtype=float32)"},
		{Float32([]float32{float32(math.Inf(1)), float32(math.Inf(-1)), 0.5}), "array([ inf, -inf,  0.5], dtype=float32)"},
		{Float32([]float32{float32(math.Inf(-1)), 1e-5}), "array([  -inf, 1.e-05], dtype=float32)"},
		{Float32([]float32{float32(math.NaN())}), "array([nan], dtype=float32)"},
		// What numpy 1.24 prints: a rounded value less its final zeros
		// (0.053930699 as 0.0539307), eight fraction digits in scientific
		// notation too, the dtype on a line of its own when the last line
		// has no room for it.
		{Float32([]float32{0.8079407811164856, 0.5153255462646484, 0.28580138087272644, 0.053930699825286865, 0.3833688795566559}),
			"array([0.8079408 , 0.51532555, 0.28580138, 0.0539307 , 0.38336888],\n      dtype=float32)"},
		{Float32([]float32{0.012438193894922733, 344.3782958984375, 26.540674209594727, 0.04174346849322319, 62.0208740234375, 1.1020900011062622, 0.004331738688051701, 0.2833530008792877, 0.21724891662597656, 118.21966552734375}),
			"array([1.24381939e-02, 3.44378296e+02, 2.65406742e+01, 4.17434685e-02,\n       6.20208740e+01, 1.10209000e+00, 4.33173869e-03, 2.83353001e-01,\n       2.17248917e-01, 1.18219666e+02], dtype=float32)"},
		{Float32([]float32{-90.0, -52.79999923706055, -91.5, 95.80000305175781, 5.900000095367432, -2.299999952316284, -4.599999904632568, -93.4000015258789, 66.5999984741211, 68.80000305175781, -96.0, 24.200000762939453, 11.300000190734863, -23.899999618530273, -1.899999976158142, 76.30000305175781, 19.5, -2.200000047683716}),
			"array([-90. , -52.8, -91.5,  95.8,   5.9,  -2.3,  -4.6, -93.4,  66.6,\n        68.8, -96. ,  24.2,  11.3, -23.9,  -1.9,  76.3,  19.5,  -2.2],\n      dtype=float32)"},
		// Whole numbers from 2²⁴ on printed to the units, as numpy's
		// positional mode prints them, not by their shortest decimal
		// (94616990, 49658530).
		{Float32([]float32{94616992, 49658528, 742900.75}), "array([94616992.  , 49658528.  ,   742900.75], dtype=float32)"},
		{Float32([]float32{95706176, 66654564, 34904096, 45986984, 67303920, 81550824, 37844956, 70807920, 71972064, 53175352, 61208408, 94867872, 24283410}),
			"array([95706176., 66654564., 34904096., 45986984., 67303920., 81550824.,\n       37844956., 70807920., 71972064., 53175352., 61208408., 94867872.,\n       24283410.], dtype=float32)"},
		// The span's ratio taken in float32, as numpy takes it: 1000, so
		// positional notation, where in float64 it exceeds 1000.
		{Float32([]float32{math.Float32frombits(1087100640), math.Float32frombits(1170673623)}), "array([   6.36998, 6369.98   ], dtype=float32)"},
		// What numpy 1.24's print (str) writes for float32 arrays.
		{Float32Str([]float32{3.57489887e-04, 7.97004264e-04, 2.95015238e-03, 8.75234895e-04, 1.23996276e-03, 1.95653111e-01, 4.77465056e-03, 2.18443766e-01, 4.52467799e-02, 5.29661894e-01}),
			"[3.5748989e-04 7.9700426e-04 2.9501524e-03 8.7523489e-04 1.2399628e-03\n 1.9565311e-01 4.7746506e-03 2.1844377e-01 4.5246780e-02 5.2966189e-01]"},
		{Float32Str([]float32{0.25, 0.5, 0.125}), "[0.25  0.5   0.125]"},
		{Float32Str([]float32{float32(math.NaN()), 1, 0.5}), "[nan 1.  0.5]"},
		{Float32Str([]float32{94616992, 49658528, 742900.75}), "[94616992.   49658528.     742900.75]"},
		{Float32Str([]float32{95706176, 66654564, 34904096, 45986984, 67303920, 81550824, 37844956, 70807920, 71972064, 53175352, 61208408, 94867872, 24283410}),
			"[95706176. 66654564. 34904096. 45986984. 67303920. 81550824. 37844956.\n 70807920. 71972064. 53175352. 61208408. 94867872. 24283410.]"},
		{Float32Str([]float32{-90.0, -52.79999923706055, -91.5, 95.80000305175781, 5.900000095367432, -2.299999952316284, -4.599999904632568, -93.4000015258789, 66.5999984741211, 68.80000305175781, -96.0, 24.200000762939453, 11.300000190734863, -23.899999618530273, -1.899999976158142, 76.30000305175781, 19.5, -2.200000047683716}),
			"[-90.  -52.8 -91.5  95.8   5.9  -2.3  -4.6 -93.4  66.6  68.8 -96.   24.2\n  11.3 -23.9  -1.9  76.3  19.5  -2.2]"},
		// Integers right-aligned to the widest shown.
		{Int([]int{45, 187, 219, 109, 195, 196, 188, 195, 255, 59}, "uint8"), "array([ 45, 187, 219, 109, 195, 196, 188, 195, 255,  59], dtype=uint8)"},
		{Int([]int{7, 10}, "int64"), "array([ 7, 10])"},
		{Int([]int{-7292030, -4710666, -8196891, 6336498, -2282389, -5984519, -6143695, -1584310, 3796285, -5606002}, "int64"), "array([-7292030, -4710666, -8196891,  6336498, -2282389, -5984519,\n       -6143695, -1584310,  3796285, -5606002])"},
		{Int(long, ""), "array([ 79442760,  15658490,  66730204, ..., -88041361,  91156079,\n        35603867])"},
	} {
		if tc.got != tc.want {
			t.Errorf("got\n%s\nwant\n%s", tc.got, tc.want)
		}
	}
}
