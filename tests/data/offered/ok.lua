-- A handler that returns at once (tests/cli/test_offered.sh, test_interrupt.sh).
return function(event) return {} end
