package acl

import (
	"sync/atomic"

	"github.com/dpkit/dpkit/eal"
)

// Classifier is a compiled rule set. It is immutable and safe for
// concurrent use.
type Classifier struct {
	fields []FieldDef
	keyLen int
	cats   int
	nrules int
	none   uint32   // rank meaning "no rule"
	ud     []uint32 // ud[rank]: the rule's Userdata; ud[none] = 0
	groups []group
	nslots int
	size   int
	arena  *eal.Arena // the tables' memory, if off the Go heap

	sinkHits atomic.Uint64 // see classifyBlock
}

const (
	maxBlock   = 64
	scratchLen = 1024 // >= (max slots + MaxCategories) * keys a block
)

// Categories returns the number of categories the classifier was built for.
func (c *Classifier) Categories() int { return c.cats }

// KeyLen returns the bytes a key needs; shorter keys match nothing.
func (c *Classifier) KeyLen() int { return c.keyLen }

// Size returns the bytes of the compiled tables.
func (c *Classifier) Size() int { return c.size }

// Groups returns the number of rule groups (lookup passes per key).
func (c *Classifier) Groups() int { return len(c.groups) }

// Rules returns the number of rules built in.
func (c *Classifier) Rules() int { return c.nrules }

// Classify looks up every key of data and writes the results:
// results[i*categories+c] is the Userdata of the best rule matching data[i]
// in category c, or 0 if none matches. categories must be 1..Categories()
// and results at least len(data)*categories long, or Classify writes
// nothing and returns an error wrapping ErrClassify. Keys shorter than
// KeyLen() match nothing. Classify does not allocate and may be called
// from many goroutines at once.
func (c *Classifier) Classify(data [][]byte, results []uint32, categories int) error {
	if categories < 1 || categories > c.cats || len(results) < len(data)*categories {
		return ErrClassify
	}
	// A block's scratch holds its keys' classes (nslots per key) and
	// best ranks (categories per key).
	blk := min(maxBlock, scratchLen/(c.nslots+categories))
	for len(data) > 0 {
		n := min(len(data), blk)
		c.classifyBlock(data[:n], results[:n*categories], categories, blk)
		data = data[n:]
		results = results[n*categories:]
	}
	return nil
}
