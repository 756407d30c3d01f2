"""Our TensorBoard event files read by the real `tensorboard` package.
Usage: tensorboard_readback.py TOOL SCRATCH_DIR."""
import math
import shutil
import subprocess
import sys

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

tool, scratch = sys.argv[1], sys.argv[2]
shutil.rmtree(scratch, ignore_errors=True)
subprocess.run([tool, scratch], check=True)

acc = EventAccumulator(scratch)
acc.Reload()
tags = set(acc.Tags()["scalars"])
expected_tags = {"charts/episodic_return", "losses/qf_loss", "losses/alpha", "losses/nan_value"}
assert tags == expected_tags, tags
ret = acc.Scalars("charts/episodic_return")
assert [e.step for e in ret] == [100 * s for s in range(1, 51)], [e.step for e in ret]
for s, e in zip(range(1, 51), ret):
    assert e.value == np.float32(-1000.0 + 10.0 * s), (s, e.value)
for s, e in zip(range(1, 51), acc.Scalars("losses/qf_loss")):
    assert e.value == np.float32(1.0 / s), (s, e.value)
for s, e in zip(range(1, 51), acc.Scalars("losses/alpha")):
    assert e.value == np.float32(math.exp(-0.01 * s)), (s, e.value)
nan = acc.Scalars("losses/nan_value")
assert len(nan) == 1 and nan[0].step == 6000 and math.isnan(nan[0].value), nan
assert ret[0].wall_time > 1.6e9, ret[0].wall_time
print("tensorboard read-back: OK,", len(tags), "tags")
