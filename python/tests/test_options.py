"""Every field of every options list (cai._core.option_fields, from the C++ lists of
include/cai/core/options.h) is a keyword argument with the list's default: of the learners
(cai.SAC, cai.SoftDQN, cai.MaxEntActorCritic), of cai.planning.MPPI and of cai.planning.run; a
value of the wrong type names the keyword."""
import pytest

import cai
from cai import _core, planning

LEARNERS = [(cai.SAC, "sac", "Pendulum-v1", "sac"), (cai.SoftDQN, "soft-q", "CartPole-v1", "soft_q"),
            (cai.MaxEntActorCritic, "actor-critic", "CartPole-v1", "actor_critic")]


@pytest.mark.parametrize("cls,name,env,section", LEARNERS)
def test_learner_keywords_and_defaults_are_the_list(cls, name, env, section):
    fields = _core.option_fields(name)
    config = cls(env, buffer_size=1000) if name != "actor-critic" else cls(env)
    options = config.config[section]
    assert sorted(options) == sorted(f["keyword"] for f in fields)
    for f in fields:
        if f["name"] != "buffer_size" or name == "actor-critic":
            assert options[f["keyword"]] == f["default"], f["name"]
    for f in fields:
        if f["default"] is not None:
            cls(env, **{f["keyword"]: f["default"], **({} if f["name"] == "buffer_size" or name == "actor-critic"
                                                      else {"buffer_size": 1000})})


def test_mppi_keywords_and_defaults_are_the_list():
    fields = _core.option_fields("mppi")
    options = planning.MPPI().options
    assert sorted(options) == sorted(f["keyword"] for f in fields)
    for f in fields:
        assert options[f["keyword"]] == f["default"], f["name"]
        planning.MPPI(**{f["keyword"]: f["default"]})


def test_run_takes_every_control_and_planner_keyword():
    fields = _core.option_fields("mppi-control")
    keywords = {f["keyword"] for f in fields}
    assert {"samples", "noise", "energy_weight", "value_grid", "random_start"} <= keywords
    for f in fields:
        if f["keyword"] not in ("env", "steps"):
            planning.run("Pendulum-v1", 1, **{f["keyword"]: f["default"], "samples": 16, "horizon": 3}
                         if f["keyword"] not in ("samples", "horizon") else {f["keyword"]: f["default"]})


def test_a_value_of_the_wrong_type_names_the_keyword():
    with pytest.raises(cai.CaiError, match=r"^MppiOptions\.samples: \"x\" is invalid \(expected an integer\)$"):
        planning.MPPI(samples="x")
    with pytest.raises(cai.CaiError, match='unknown keyword argument "sampels"'):
        planning.MPPI(sampels=10)
    with pytest.raises(cai.CaiError, match=r"sac option \"tau\""):
        cai.SAC("Pendulum-v1", tau="x")
    with pytest.raises(cai.CaiError, match="unknown key \"batch\""):
        cai.SAC("Pendulum-v1", batch=64)


def test_learner_env_errors_name_the_argument_not_the_cli_flag():
    with pytest.raises(cai.CaiError, match=r"^env: Pendulum-v1 \(action space Box") as e:
        cai.SoftDQN("Pendulum-v1")
    assert "--env" not in str(e.value)
    with pytest.raises(cai.CaiError, match=r"^env: CartPole-v1 \(action space Discrete\(2\)\)"):
        cai.SAC("CartPole-v1")
