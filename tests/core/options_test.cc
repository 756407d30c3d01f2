// Every options list (include/cai/core/options.h): each field round-trips through JSON, the
// defaults validate, and the messages have the shape the list promises.
#include "cai/core/options.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cai/planning/mppi.h"
#include "cai/planning/mppi_control.h"
#include "cai/planning/pets.h"
#include "cai/rl/actor_critic.h"
#include "cai/rl/sac.h"
#include "cai/rl/soft_dqn.h"

namespace cai {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

// A value of the field's kind other than `current`.
Json Other(const OptionInfo& f, const Json& current) {
  switch (f.kind) {
    case OptionKind::kBool: return !current.get<bool>();
    case OptionKind::kInt:
    case OptionKind::kInt64: return current.get<std::int64_t>() + 3;
    case OptionKind::kUnsigned: return current.get<std::uint64_t>() + 3;
    case OptionKind::kNumber: return current.get<double>() + 0.25;
    case OptionKind::kOptionalNumber: return current.is_null() ? Json(0.5) : Json(nullptr);
    case OptionKind::kNumbers: return Json::array({0.25, 0.75});
    case OptionKind::kLayerSizes: return Json::array({7, 5});
    case OptionKind::kString: return current.get<std::string>() + "x";
    case OptionKind::kChoice:
      for (const std::string& c : f.choices) {
        if (c != current) return c;
      }
  }
  ADD_FAILURE() << f.name << ": no other value";
  return current;
}

template <typename T>
void ExpectEveryFieldRoundTrips(const OptionList<T>& list) {
  SCOPED_TRACE(list.name());
  const Json defaults = list.ToJson(T{});
  EXPECT_EQ(list.ToJson(list.FromJson(defaults, T{})), defaults);
  const std::vector<OptionInfo> infos = list.Infos();
  ASSERT_EQ(infos.size(), defaults.size()) << "two fields with one key";
  for (const OptionInfo& f : infos) {
    SCOPED_TRACE(f.name);
    EXPECT_FALSE(f.doc.empty());
    EXPECT_EQ(f.default_value, defaults.at(f.name));
    const Json value = Other(f, f.default_value);
    const Json back = list.ToJson(list.FromJson(Json{{f.name, value}}, T{}));
    EXPECT_EQ(back.at(f.name), value);
    Json rest = back;  // every other field keeps its default
    rest[f.name] = f.default_value;
    EXPECT_EQ(rest, defaults);
    // A value of the wrong type is an OptionError naming the key.
    try {
      list.FromJson(Json{{f.name, Json::object()}}, T{});
      ADD_FAILURE() << "an object accepted";
    } catch (const OptionError& e) {
      EXPECT_EQ(e.problem().field, f.name);
      EXPECT_THAT(e.what(), HasSubstr(list.name() + " option \"" + f.name + "\": {} is invalid (expected "));
    }
  }
  try {
    list.FromJson(Json{{"no_such_option", 1}}, T{});
    ADD_FAILURE() << "an unknown key accepted";
  } catch (const OptionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown key \"no_such_option\""));
  }
}

TEST(Options, EveryFieldOfEveryListRoundTripsThroughJson) {
  ExpectEveryFieldRoundTrips(rl::SacOptionList());
  ExpectEveryFieldRoundTrips(rl::SoftQOptionList());
  ExpectEveryFieldRoundTrips(rl::ActorCriticOptionList());
  ExpectEveryFieldRoundTrips(planning::MppiOptionList());
  ExpectEveryFieldRoundTrips(planning::MppiControlOptionList());
  ExpectEveryFieldRoundTrips(planning::PetsOptionList());
}

TEST(Options, DefaultsAreValid) {
  EXPECT_NO_THROW(rl::SacOptionList().Validate({}));
  EXPECT_NO_THROW(rl::SoftQOptionList().Validate({}));
  EXPECT_NO_THROW(rl::ActorCriticOptionList().Validate({}));
  EXPECT_NO_THROW(planning::MppiOptionList().Validate({}));
  EXPECT_NO_THROW(planning::MppiControlOptionList().Validate({}));
  EXPECT_NO_THROW(planning::PetsOptionList().Validate({}));
}

TEST(Options, ValidationErrorsCarryFieldValueAndExpectation) {
  rl::SacOptions sac;
  sac.hidden = {64, 0};
  try {
    rl::ValidateSacOptions(sac);
    ADD_FAILURE();
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "hidden[1]: 0 is invalid (expected an integer in [1, 65536])");
    EXPECT_EQ(e.option(), "hidden");
    EXPECT_EQ(e.problem().value, "0");
    EXPECT_EQ(e.qualifier(), "");
  }
  planning::MppiOptions mppi;
  mppi.samples = 0;
  try {
    planning::MppiOptionList().Validate(mppi);
    ADD_FAILURE();
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "MppiOptions.samples: 0 is invalid (expected an integer >= 1)");
    EXPECT_EQ(e.qualifier(), "MppiOptions");
    EXPECT_EQ(e.problem().expected, "an integer >= 1");
  }
}

TEST(Options, NestedFieldsReadAndWriteTheInnerStruct) {
  const planning::PetsOptions o =
      planning::PetsOptionList().FromJson(Json{{"members", 3}, {"samples", 64}, {"noise_std", {0.5}}}, {});
  EXPECT_EQ(o.ensemble.members, 3);
  EXPECT_EQ(o.mppi.samples, 64);
  EXPECT_EQ(o.mppi.noise_std, std::vector<double>{0.5});
  EXPECT_EQ(planning::PetsOptionList().ToJson(o).at("samples"), 64);
  // The planner's own fields not listed for PETS stay out of its JSON.
  EXPECT_FALSE(planning::PetsOptionList().ToJson(o).contains("smoothing"));
}

}  // namespace
}  // namespace cai
