# Reads a QEMU console log of /init (see init.c) and prints one line per
# result, then "RESULT <passed> <failed> <skipped>".
#
# A program's TAP results count one each.  A program that exits non-zero
# with no failing result, dies of a signal, times out, or reports fewer
# results than its plan counts as one more failure.  Any kernel splat
# anywhere in the log is a failure, and so is a log without RVHV-DONE.

function fail(what) { print "FAIL " what; failed++ }
function pass(what) { print "PASS " what; passed++ }
function skip(what) { print "SKIP " what; skipped++ }

BEGIN { passed = failed = skipped = 0; prog = ""; done = 0 }

{ sub(/\r$/, "") }

# Kernel splats: lockdep, sleeping-in-atomic, oopses, list corruption, ...
/BUG: |WARNING: |Oops|Kernel panic|Unable to handle kernel|kernel BUG|circular locking|recursive locking|inconsistent lock state|suspicious RCU usage|blocked for more than|soft lockup|detected stalls? on CPU|list_add corruption|list_del corruption|refcount_t: |UBSAN:|Call Trace:/ {
	fail("kernel: " $0)
}

/^RVHV-ERROR / { fail(substr($0, 12)) }

/^RVHV-BEGIN / { prog = $2; plan = -1; nres = 0; nfail = 0; next }

prog != "" && /^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }

prog != "" && /^(not )?ok [0-9]+/ {
	nres++
	line = $0
	if (line ~ /# SKIP/) {
		skip(prog ": " line)
	} else if (line ~ /^not ok/) {
		fail(prog ": " line); nfail++
	} else {
		pass(prog ": " line)
	}
	next
}

/^RVHV-END / {
	if ($2 != prog) { fail("framing: END " $2 " inside " prog) }
	status = $3
	if (status ~ /^timeout/) fail(prog ": timed out (" $4 ")")
	else if (status ~ /^signal=/) fail(prog ": killed by " status)
	else if (status != "exit=0" && nfail == 0) fail(prog ": " status " with no failing result")
	if (plan >= 0 && nres < plan) fail(prog ": " nres " results of " plan " planned")
	if (plan < 0 && nres == 0 && status == "exit=0") fail(prog ": no results")
	prog = ""
	next
}

/^RVHV-DONE/ { done = 1 }

END {
	if (prog != "") fail(prog ": no end (machine stopped mid-program)")
	if (!done) fail("run incomplete: no RVHV-DONE")
	print "RESULT " passed " " failed " " skipped
}
