package postgis

import "testing"

func TestParseLSN(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want uint64
		bad  bool
	}{
		{name: "zero", in: "0/0", want: 0},
		{name: "low word", in: "0/3000060", want: 0x3000060},
		{name: "high word", in: "16/B374D848", want: 0x16<<32 | 0xB374D848},
		{name: "no slash", in: "16B374D848", bad: true},
		{name: "not hex", in: "0/XYZ", bad: true},
		{name: "word too long", in: "0/1FFFFFFFF", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLSN(tt.in)
			if (err != nil) != tt.bad || got != tt.want {
				t.Errorf("parseLSN(%q) = %x, %v; want %x (error: %v)", tt.in, got, err, tt.want, tt.bad)
			}
		})
	}
}
