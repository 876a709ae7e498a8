//! How a pruned network recovers: what its fine-tuning distils from, how much the labels
//! weigh, and which epoch it keeps. Pruning wants the function it removed weights from back,
//! not a new optimum: on MovieLens the teacher ranks worse than the student it taught, and the
//! epoch of highest validation AUC is partly the one that fits validation noise best. So
//! recovery can follow the unpruned network's own logits (alone or averaged with the
//! teacher's), drop the labels, and keep the epoch whose validation logits are closest to the
//! unpruned network's.

use serde::{Deserialize, Serialize};

use crate::model::dataset::Dataset;
use crate::train::Objective;
use crate::model::net::Net;

use super::PruneError;

/// Whose logits fine-tuning distils from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Recovery {
    /// The teacher's (the objective as given: labels only if no teacher).
    #[default]
    Teacher,
    /// The unpruned network's own logits on the training rows (self-distillation).
    #[serde(rename = "self")]
    #[value(name = "self")]
    SelfDistill,
    /// The mean of the teacher's and the unpruned network's logits.
    Both,
}

/// Which fine-tuning epoch is kept (and whether fine-tuning is kept at all, against the
/// network right after pruning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Selection {
    /// The highest validation metric (AUC for rankers, macro-F1 for classifiers).
    #[default]
    Metric,
    /// The smallest mean squared difference between the network's validation logits and the
    /// unpruned network's.
    Fidelity,
}

/// The training set and objective fine-tuning uses: `train` with its teacher logits replaced
/// as `recovery` says (`net` is the unpruned network), and `objective` with its hard-label
/// weight replaced by `alpha` if given. Self-distillation, blending and `alpha` need a
/// distillation objective.
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use dram_tools::compress::prune::recovery::{recovery_set, Recovery};
/// # let (net, train, objective): (dram_tools::model::net::Net, dram_tools::model::dataset::Dataset, dram_tools::train::Objective) = todo!();
/// // Follow the unpruned network's logits only, labels ignored.
/// let (set, objective) = recovery_set(&net, &train, objective, Recovery::SelfDistill, Some(0.0))?;
/// # Ok(()) }
/// ```
pub fn recovery_set(net: &Net, train: &Dataset, objective: Objective, recovery: Recovery, alpha: Option<f64>) -> anyhow::Result<(Dataset, Objective)> {
    let Objective::Distill(mut settings) = objective else {
        let what = match (recovery, alpha) {
            (Recovery::SelfDistill, _) => "self-distillation",
            (Recovery::Both, _) => "recovery from the teacher and the network together",
            (Recovery::Teacher, Some(_)) => "a recovery label weight",
            (Recovery::Teacher, None) => return Ok((train.clone(), objective)),
        };
        return Err(PruneError::Settings(format!("{what} needs a distillation objective (pass a teacher), found labels only")).into());
    };
    if let Some(alpha) = alpha {
        if !(0.0..=1.0).contains(&alpha) {
            return Err(PruneError::Settings(format!("the recovery label weight must be in [0, 1], found {alpha}")).into());
        }
        settings.alpha = alpha;
    }
    let mut set = train.clone();
    match recovery {
        Recovery::Teacher => {}
        Recovery::SelfDistill => set.teacher = Some(net.predict(train)?),
        Recovery::Both => {
            let own = net.predict(train)?;
            let teacher = train.teacher.as_ref().ok_or_else(|| PruneError::Settings("blending needs teacher logits for the training rows, found none".into()))?;
            set.teacher = Some(teacher.iter().zip(&own).map(|(t, s)| 0.5 * (t + s)).collect());
        }
    }
    Ok((set, Objective::Distill(settings)))
}

/// `train` with `net`'s own logits as the teacher's, for fine-tuning by self-distillation.
pub fn self_distillation_set(net: &Net, train: &Dataset, objective: Objective) -> anyhow::Result<Dataset> {
    if !matches!(objective, Objective::Distill(_)) {
        return Err(PruneError::Settings("self-distillation needs a distillation objective (pass a teacher), found labels only".into()).into());
    }
    Ok(recovery_set(net, train, objective, Recovery::SelfDistill, None)?.0)
}

/// Mean squared difference between `net`'s logits on `data` and `reference` (logits of the
/// same rows, as from [`Net::predict`]).
pub fn logit_mse(net: &Net, data: &Dataset, reference: &[f32]) -> anyhow::Result<f64> {
    let logits = net.predict(data)?;
    if logits.len() != reference.len() {
        return Err(PruneError::Mismatch(format!("{} reference logits for {} logits", reference.len(), logits.len())).into());
    }
    Ok(logits.iter().zip(reference).map(|(a, b)| f64::from(a - b).powi(2)).sum::<f64>() / logits.len().max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Config;
    use crate::data::synth;
    use crate::train::DistillSettings;

    fn setup() -> (Net, Dataset, Objective) {
        let config = Config::parse(crate::data::synth::STUDENT_CONFIG).unwrap();
        let table = synth::generate(&synth::ShopConfig { users: 20, items: 30, impressions_per_user: 10, ..Default::default() }).unwrap();
        let manifest = config.manifest(&table).unwrap();
        let mut data = Dataset::encode(&config, &manifest, &table).unwrap();
        data.teacher = Some((0..data.rows).map(|r| r as f32 * 0.01 - 1.0).collect());
        let net = Net::new(config.net_spec(manifest), 4).unwrap();
        (net, data, Objective::Distill(DistillSettings::from(&config.distill)))
    }

    fn alpha(objective: Objective) -> f64 {
        let Objective::Distill(s) = objective else { panic!("distillation expected") };
        s.alpha
    }

    #[test]
    fn targets_are_the_teachers_the_networks_own_or_their_mean() {
        let (net, data, objective) = setup();
        let own = net.predict(&data).unwrap();
        let teacher = data.teacher.clone().unwrap();
        let (set, kept) = recovery_set(&net, &data, objective, Recovery::Teacher, None).unwrap();
        assert_eq!(set.teacher.as_ref(), Some(&teacher));
        assert_eq!(alpha(kept), alpha(objective));
        let (set, zero) = recovery_set(&net, &data, objective, Recovery::SelfDistill, Some(0.0)).unwrap();
        assert_eq!(set.teacher.as_ref(), Some(&own));
        assert_eq!(alpha(zero), 0.0);
        let (set, _) = recovery_set(&net, &data, objective, Recovery::Both, None).unwrap();
        let mean = set.teacher.unwrap();
        assert!((mean[7] - 0.5 * (teacher[7] + own[7])).abs() < 1e-7);
        assert_eq!(self_distillation_set(&net, &data, objective).unwrap().teacher, Some(own));
    }

    #[test]
    fn labels_only_and_out_of_range_weights_are_refused() {
        let (net, data, objective) = setup();
        assert!(recovery_set(&net, &data, Objective::Labels, Recovery::Teacher, None).is_ok());
        for (recovery, alpha) in [(Recovery::SelfDistill, None), (Recovery::Both, None), (Recovery::Teacher, Some(0.5))] {
            let err = recovery_set(&net, &data, Objective::Labels, recovery, alpha).unwrap_err().to_string();
            assert!(err.contains("found labels only"), "{err}");
        }
        let err = recovery_set(&net, &data, objective, Recovery::Teacher, Some(1.5)).unwrap_err().to_string();
        assert!(err.contains("found 1.5"), "{err}");
    }

    #[test]
    fn logit_mse_is_zero_on_the_reference_and_the_mean_square_otherwise() {
        let (net, data, _) = setup();
        let own = net.predict(&data).unwrap();
        assert_eq!(logit_mse(&net, &data, &own).unwrap(), 0.0);
        let shifted: Vec<f32> = own.iter().map(|v| v + 0.5).collect();
        assert!((logit_mse(&net, &data, &shifted).unwrap() - 0.25).abs() < 1e-6);
        assert!(logit_mse(&net, &data, &own[1..]).is_err());
    }
}
