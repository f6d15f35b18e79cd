//go:build !race

package lpm

const raceEnabled = false
