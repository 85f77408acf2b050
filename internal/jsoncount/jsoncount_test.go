package jsoncount

import "testing"

// TestCount counts every kind of value, leaves what is inside strings
// (escaped quotes, brackets, digits, words) uncounted, and counts a
// number's or a literal's characters once.
func TestCount(t *testing.T) {
	for _, tc := range []struct {
		json string
		want Counts
	}{
		{``, Counts{}},
		{`{}`, Counts{Containers: 1}},
		{`[[],{},""]`, Counts{Containers: 3, Strings: 1}},
		{`{"a":[1,-2.5e3,"7 8",true,null,{"b":"\"9"}],"c":0.1, "d":false}`, Counts{Numbers: 3, Strings: 6, Literals: 3, Containers: 3}},
		{`"[{\"x\": 12, true}]"`, Counts{Strings: 1}},
		{`[1E+5, -0, 3]`, Counts{Numbers: 3, Containers: 1}},
	} {
		if got := Count([]byte(tc.json)); got != tc.want {
			t.Errorf("Count(%s) = %+v, want %+v", tc.json, got, tc.want)
		}
	}
}
