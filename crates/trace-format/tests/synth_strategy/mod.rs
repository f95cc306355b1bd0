//! Proptest strategies for `trace_format::synth` schedules, shared by the property tests of
//! trace-format and trace-model.

use proptest::prelude::*;
use trace_format::synth::{Schedule, Step};
use trace_format::Version;

/// Any step; generations and GC come less often than scheduling.
pub fn step() -> impl Strategy<Value = Step> {
    let b = any::<u8>;
    prop_oneof![
        4 => b().prop_map(Step::Create),
        6 => (b(), b()).prop_map(|(m, g)| Step::Start(m, g)),
        4 => (b(), b()).prop_map(|(m, r)| Step::Block(m, r)),
        2 => b().prop_map(Step::Stop),
        4 => (b(), b()).prop_map(|(m, g)| Step::Unblock(m, g)),
        1 => b().prop_map(Step::Destroy),
        3 => b().prop_map(Step::SyscallBegin),
        2 => b().prop_map(Step::SyscallEnd),
        2 => (b(), b()).prop_map(|(m, v)| Step::Steal(m, v)),
        2 => b().prop_map(Step::SyscallEndBlocked),
        3 => (b(), b()).prop_map(|(m, p)| Step::ProcStart(m, p)),
        2 => b().prop_map(Step::ProcStop),
        1 => b().prop_map(Step::GcBegin),
        1 => b().prop_map(Step::GcEnd),
        1 => b().prop_map(Step::StopTheWorld),
        1 => Just(Step::NextGeneration),
        1 => (b(), b()).prop_map(|(m, t)| Step::TaskBegin(m, t)),
        1 => (b(), b()).prop_map(|(m, t)| Step::TaskEnd(m, t)),
        2 => (b(), b()).prop_map(|(m, t)| Step::RegionBegin(m, t)),
        2 => b().prop_map(Step::RegionEnd),
        1 => b().prop_map(Step::AssistBegin),
        1 => b().prop_map(Step::AssistEnd),
        1 => b().prop_map(Step::SweepBegin),
        1 => b().prop_map(Step::SweepEnd),
        1 => (b(), b()).prop_map(|(m, t)| Step::Log(m, t)),
        1 => b().prop_map(Step::Label),
        2 => b().prop_map(Step::CpuSample),
    ]
}

pub fn schedule() -> impl Strategy<Value = Schedule> {
    let versions = prop_oneof![
        Just(Version::Go1_22),
        Just(Version::Go1_23),
        Just(Version::Go1_25),
        Just(Version::Go1_26),
    ];
    (
        versions,
        1u8..=4,
        1u8..=4,
        prop::collection::vec(step(), 0..300),
    )
        .prop_map(|(version, ms, ps, steps)| Schedule {
            version,
            ms,
            ps,
            steps,
        })
}
