package difftest

// knownBugs are the open issues the tester finds, by issue number. A seed
// or regression case of an issue listed here is skipped; delete the entry
// when the fix is merged, and its cases run again (and must pass).
var knownBugs = map[int]string{}

// bugSeeds maps the seeds of TestDifferential's default range that find a
// known bug to its issue.
var bugSeeds = map[uint64]int{}
