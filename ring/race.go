//go:build race

package ring

// raceEnabled: the race detector instruments the burst functions with
// calls, so they are not leaves and can be preempted mid-operation; their
// spin loops then yield instead of waiting for the scheduler to step in.
const raceEnabled = true
