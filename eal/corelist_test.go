package eal

import (
	"slices"
	"strings"
	"testing"
)

func TestParseCoreList(t *testing.T) {
	ok := []struct {
		in   string
		want []int
	}{
		{"0", []int{0}},
		{"0-3", []int{0, 1, 2, 3}},
		{"0,2", []int{0, 2}},
		{"1-3,7", []int{1, 2, 3, 7}},
		{"7,1-3", []int{1, 2, 3, 7}},
		{" 1 - 3 , 7 ", []int{1, 2, 3, 7}},
		{"\t5\n", []int{5}},
		{"3-3", []int{3}},
		{"007", []int{7}},
		{"1023", []int{1023}},
		{"1020-1023", []int{1020, 1021, 1022, 1023}},
	}
	for _, tc := range ok {
		got, err := ParseCoreList(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseCoreList(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ in, errHas string }{
		{"", "empty list"},
		{"   ", "empty list"},
		{",", "empty item"},
		{"1,", "empty item"},
		{",1", "empty item"},
		{"1,,2", "empty item"},
		{"3-1", `"3-1" is descending`},
		{"a", `"a"`},
		{"1,a", `"a"`},
		{"0x1", `"0x1"`},
		{"+1", `"+1"`},
		{"1.5", `"1.5"`},
		{"1-", `"1-" has no end`},
		{"-1", `negative cpu "-1"`},
		{"-", `negative`},
		{"1--2", `bad range "1--2"`},
		{"1-2-3", `"2-3"`},
		{"-1-3", `negative`},
		{"1024", "out of range"},
		{"0-1024", "out of range"},
		{"99999999999999999999", "out of range"},
		{"1,1", "cpu 1 listed twice"},
		{"0-3,2", "cpu 2 listed twice"},
		{"1-2,2-3", "cpu 2 listed twice"},
		{"1 2", `"1 2"`},
		{"1@2", `"1@2"`},
	}
	for _, tc := range bad {
		got, err := ParseCoreList(tc.in)
		if err == nil {
			t.Errorf("ParseCoreList(%q) = %v, want error", tc.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), "core list") {
			t.Errorf("ParseCoreList(%q) error %q does not mention %q", tc.in, err, tc.errHas)
		}
	}
}

func TestParseCoreMask(t *testing.T) {
	ok := []struct {
		in   string
		want []int
	}{
		{"0x1", []int{0}},
		{"f", []int{0, 1, 2, 3}},
		{"0XF0", []int{4, 5, 6, 7}},
		{"0xa5", []int{0, 2, 5, 7}},
		{"100000000", []int{32}},
		{" 3 ", []int{0, 1}},
		{"0x" + strings.Repeat("0", 300) + "2", []int{1}},
		{"8" + strings.Repeat("0", 255), []int{1023}},
	}
	for _, tc := range ok {
		got, err := ParseCoreMask(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseCoreMask(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "0x", "0", "0x0", "g", "0x1g", "-1", "1" + strings.Repeat("0", 256)} {
		if got, err := ParseCoreMask(in); err == nil {
			t.Errorf("ParseCoreMask(%q) = %v, want error", in, got)
		}
	}
}

func TestParseLcores(t *testing.T) {
	m := func(l uint, cpus ...int) LcoreMapping { return LcoreMapping{Lcore: l, CPUs: cpus} }
	ok := []struct {
		in   string
		want []LcoreMapping
	}{
		{"0", []LcoreMapping{m(0, 0)}},
		{"0-2", []LcoreMapping{m(0, 0), m(1, 1), m(2, 2)}},
		{"0@2,1@3", []LcoreMapping{m(0, 2), m(1, 3)}},
		{"(0-1)@2", []LcoreMapping{m(0, 2), m(1, 2)}},
		{"(0,6)", []LcoreMapping{m(0, 0, 6), m(6, 0, 6)}},
		{"0-1@5", []LcoreMapping{m(0, 5), m(1, 5)}},
		{"2@(0-1)", []LcoreMapping{m(2, 0, 1)}},
		{" 3 @ 1 , 0 @ 0 ", []LcoreMapping{m(0, 0), m(3, 1)}},
		{"1@(5-7),(3-5)@(0,2),(0,6),7-8", []LcoreMapping{
			m(0, 0, 6), m(1, 5, 6, 7), m(3, 0, 2), m(4, 0, 2), m(5, 0, 2), m(6, 0, 6), m(7, 7), m(8, 8)}},
		{"127@1023", []LcoreMapping{m(127, 1023)}},
	}
	for _, tc := range ok {
		got, err := ParseLcores(tc.in)
		if err != nil || !slices.EqualFunc(got, tc.want, func(a, b LcoreMapping) bool {
			return a.Lcore == b.Lcore && slices.Equal(a.CPUs, b.CPUs)
		}) {
			t.Errorf("ParseLcores(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ in, errHas string }{
		{"", "empty list"},
		{"0,", "empty item"},
		{"0@", "missing cpu set"},
		{"@1", "missing lcore set"},
		{"0@1@2", "bad cpu set"},
		{"(0-1", "unclosed"},
		{"0-1)", "unbalanced"},
		{"((0))", "nested"},
		{"(0)x@1", "bad lcore group"},
		{"x(0)", "bad lcore set"},
		{"()", "empty list"},
		{"128", "lcore 128 out of range"},
		{"0@1024", "cpu 1024 out of range"},
		{"0,0@1", "lcore 0 given twice"},
		{"(0-2)@1,1@2", "lcore 1 given twice"},
		{"2-1@0", "descending"},
		{"a@1", `bad lcore id "a"`},
		{"-1@1", "negative lcore"},
	}
	for _, tc := range bad {
		got, err := ParseLcores(tc.in)
		if err == nil {
			t.Errorf("ParseLcores(%q) = %v, want error", tc.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("ParseLcores(%q) error %q does not mention %q", tc.in, err, tc.errHas)
		}
	}
}

func TestFormatCPUs(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{
		{nil, ""}, {[]int{3}, "3"}, {[]int{0, 1, 2, 3}, "0-3"}, {[]int{0, 2, 3, 4, 7}, "0,2-4,7"},
	} {
		if got := formatCPUs(tc.in); got != tc.want {
			t.Errorf("formatCPUs(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzParseCoreList(f *testing.F) {
	for _, s := range []string{"0", "0-3", "0,2", "1-3,7", " 1 - 3 , 7 ", "3-1", "1-", "-1", "1024", "1,1", "", "a", "0-1023"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := ParseCoreList(s)
		if err != nil {
			if ids != nil {
				t.Fatalf("ParseCoreList(%q) returned %v with error %v", s, ids, err)
			}
			return
		}
		if len(ids) == 0 {
			t.Fatalf("ParseCoreList(%q) returned no ids and no error", s)
		}
		for i, id := range ids {
			if id < 0 || id >= MaxCPU {
				t.Fatalf("ParseCoreList(%q): id %d out of range", s, id)
			}
			if i > 0 && ids[i-1] >= id {
				t.Fatalf("ParseCoreList(%q) = %v: not sorted and unique", s, ids)
			}
		}
		// The canonical form parses back to the same list.
		again, err := ParseCoreList(formatCPUs(ids))
		if err != nil || !slices.Equal(again, ids) {
			t.Fatalf("round trip of %v via %q: %v, %v", ids, formatCPUs(ids), again, err)
		}
	})
}

func FuzzParseLcores(f *testing.F) {
	for _, s := range []string{"0@2,1@3", "(0-1)@2", "1@(5-7),(3-5)@(0,2),(0,6),7-8", "((", "0@", "127@1023"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		maps, err := ParseLcores(s)
		if err != nil {
			return
		}
		if len(maps) == 0 {
			t.Fatalf("ParseLcores(%q): no mappings and no error", s)
		}
		for i, m := range maps {
			if m.Lcore >= MaxLcore || len(m.CPUs) == 0 {
				t.Fatalf("ParseLcores(%q): bad mapping %+v", s, m)
			}
			if i > 0 && maps[i-1].Lcore >= m.Lcore {
				t.Fatalf("ParseLcores(%q): lcores not sorted and unique: %v", s, maps)
			}
			for j, c := range m.CPUs {
				if c < 0 || c >= MaxCPU || (j > 0 && m.CPUs[j-1] >= c) {
					t.Fatalf("ParseLcores(%q): bad cpus %v", s, m.CPUs)
				}
			}
		}
	})
}
