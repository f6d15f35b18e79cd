package bench

// TEMPORARY: placeholders so that cmd/dpkit builds before ring.go and
// mempool.go exist. The owners of app/bench/ring.go and app/bench/mempool.go
// delete this file when they add the real Ring and Mempool.
