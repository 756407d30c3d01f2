"""Our TensorBoard event files read by the real `tensorboard` package: a run written in one go, and
the same run interrupted past its checkpoint and resumed (which must read exactly the same, with no
stale point of the interrupted run, even with the reader's purging of out-of-order steps off).
Usage: tensorboard_readback.py TOOL SCRATCH_DIR."""
import math
import os
import shutil
import subprocess
import sys

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

tool, scratch = sys.argv[1], sys.argv[2]
shutil.rmtree(scratch, ignore_errors=True)


def check(directory, purge):
    acc = EventAccumulator(directory, purge_orphaned_data=purge)
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    expected_tags = {"charts/episodic_return", "losses/qf_loss", "losses/alpha", "losses/nan_value"}
    assert tags == expected_tags, tags
    ret = acc.Scalars("charts/episodic_return")
    assert [e.step for e in ret] == [100 * s for s in range(1, 51)], [e.step for e in ret]
    for s, e in zip(range(1, 51), ret):
        assert e.value == np.float32(-1000.0 + 10.0 * s), (s, e.value)
    for tag, f in [("losses/qf_loss", lambda s: 1.0 / s), ("losses/alpha", lambda s: math.exp(-0.01 * s))]:
        values = acc.Scalars(tag)
        assert [e.step for e in values] == [100 * s for s in range(1, 51)], (tag, [e.step for e in values])
        for s, e in zip(range(1, 51), values):
            assert e.value == np.float32(f(s)), (tag, s, e.value)
    nan = acc.Scalars("losses/nan_value")
    assert len(nan) == 1 and nan[0].step == 6000 and math.isnan(nan[0].value), nan
    assert ret[0].wall_time > 1.6e9, ret[0].wall_time
    return len(tags)


whole = os.path.join(scratch, "whole")
subprocess.run([tool, whole], check=True)
n = check(whole, purge=True)
resumed = os.path.join(scratch, "resumed")
subprocess.run([tool, resumed, "resume"], check=True)
for purge in (True, False):
    check(resumed, purge)
print("tensorboard read-back: OK,", n, "tags; a resumed run reads as the uninterrupted one")
