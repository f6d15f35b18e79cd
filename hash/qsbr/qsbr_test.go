package qsbr

import (
	"sync"
	"testing"
	"time"
)

func TestQSBR(t *testing.T) {
	if _, err := New(0); err == nil {
		t.Fatal("New(0) succeeded")
	}
	q, _ := New(2)
	q.Online(0)
	q.Online(1)
	tok := q.Start()
	if q.Check(tok, false) {
		t.Fatal("Check passed before any reader was quiescent")
	}
	q.Quiescent(0)
	if q.Check(tok, false) {
		t.Fatal("Check passed with reader 1 not quiescent")
	}
	q.Offline(1)
	if !q.Check(tok, false) {
		t.Fatal("Check failed with reader 0 quiescent and reader 1 offline")
	}
	q.Quiescent(1) // offline stays offline
	tok = q.Start()
	if q.Check(tok, false) {
		t.Fatal("new grace period passed before reader 0 was quiescent")
	}
	done := make(chan struct{})
	go func() { q.Synchronize(); close(done) }()
	time.Sleep(10 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("Synchronize returned with reader 0 not quiescent")
	default:
	}
	q.Quiescent(0)
	<-done
}

// TestConcurrent: a writer's grace periods end only after every online
// reader has been quiescent, under -race.
func TestConcurrent(t *testing.T) {
	q, _ := New(2)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for id := 0; id < 2; id++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			q.Online(id)
			defer q.Offline(id)
			for {
				select {
				case <-stop:
					return
				default:
					q.Quiescent(id)
				}
			}
		}(id)
	}
	for i := 0; i < 100; i++ {
		q.Synchronize()
	}
	close(stop)
	wg.Wait()
	if !q.Check(q.Start(), false) {
		t.Fatal("Check failed with every reader offline")
	}
}
