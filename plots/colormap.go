package plots

import (
	"image/color"
	"math"
)

// Colormap maps a normalized value in [0, 1] to a colour through a
// 256-entry lookup table, the way matplotlib's colormaps do: t picks entry
// floor(t*256), clipped to the table, so there is no interpolation between
// entries.
type Colormap struct {
	name string
	lut  [256]color.RGBA
}

// Name is the colormap's matplotlib name, such as "viridis".
func (c *Colormap) Name() string { return c.name }

// At returns the colour for t: values below 0 take the first entry, values
// above 1 the last. NaN has no colour and returns fully transparent black,
// like matplotlib's "bad" colour.
func (c *Colormap) At(t float64) color.RGBA {
	if math.IsNaN(t) {
		return color.RGBA{}
	}
	return c.lut[lutIndex(t)]
}

// lutIndex is matplotlib's Colormap.__call__ lookup for N = 256.
func lutIndex(t float64) int {
	switch {
	case t < 0:
		return 0
	case t >= 1:
		return 255
	}
	i := int(t * 256)
	if i > 255 {
		i = 255
	}
	return i
}

// Viridis is matplotlib's default colormap, dark purple (#440154) at 0
// through blue and green to yellow (#fde725) at 1. Its table is the
// published 256-entry viridis data (CC0), rounded to 8-bit sRGB.
var Viridis = newViridis()

// Binary is matplotlib's "binary" colormap (plt.cm.binary): white at 0
// through grey to black at 1.
var Binary = newBinary()

func newViridis() *Colormap {
	c := &Colormap{name: "viridis"}
	for i, rgb := range viridisData {
		c.lut[i] = color.RGBA{to8(rgb[0]), to8(rgb[1]), to8(rgb[2]), 0xff}
	}
	return c
}

func newBinary() *Colormap {
	c := &Colormap{name: "binary"}
	for i := range c.lut {
		v := uint8(255 - i)
		c.lut[i] = color.RGBA{v, v, v, 0xff}
	}
	return c
}

func to8(x float64) uint8 {
	return uint8(math.Round(math.Max(0, math.Min(1, x)) * 255))
}
