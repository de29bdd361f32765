package textutil

import "testing"

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"jaeger", "jaeger", 0}, {"jeager", "jaeger", 2}, {"b3-multi", "b3multi", 1}, {"", "abc", 3}, {"zipkn", "zipkin", 1},
	} {
		if got := EditDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
		cut  bool
	}{
		{"abc", 5, "abc", false}, {"abcdef", 3, "abc", true}, {"aé", 2, "a", true}, {"", 0, "", false}, {"x", 0, "", true},
	} {
		if got, cut := Cut(tc.s, tc.n); got != tc.want || cut != tc.cut {
			t.Errorf("Cut(%q, %d) = %q, %v; want %q, %v", tc.s, tc.n, got, cut, tc.want, tc.cut)
		}
	}
}
