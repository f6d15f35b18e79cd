package ethdev

// DriverQueues returns the driver's queues behind queue q of a started
// port (for the dispatch benchmark).
func DriverQueues(p *Port, q uint16) (RxQueue, TxQueue) { return p.rxq[q].q, p.txq[q].q }
