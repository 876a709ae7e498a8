//! A synthetic shop for the demo and the tests: users with latent tastes that drift, items
//! with categories, prices and popularity, and impression logs where clicks depend on taste,
//! on what the user clicked recently, on popularity and on price. Deterministic per seed.

use anyhow::Result;

use super::{Column, Table};
use crate::rng::Rng;

/// The configuration of the shop's teacher: wide embeddings, target attention over the
/// history, a deep tower.
pub const TEACHER_CONFIG: &str = include_str!("../../configs/shop-teacher.toml");
/// The configuration of the shop's student: narrow embeddings, mean pooling, one small hidden
/// layer.
pub const STUDENT_CONFIG: &str = include_str!("../../configs/shop-student.toml");

/// Size and seed of a synthetic shop.
#[derive(Debug, Clone, Copy)]
pub struct ShopConfig {
    /// Users.
    pub users: usize,
    /// Items.
    pub items: usize,
    /// Categories.
    pub categories: usize,
    /// Mean impressions per user (each user gets 50% to 150% of it).
    pub impressions_per_user: usize,
    /// Recent clicks kept in the history column.
    pub history_len: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for ShopConfig {
    fn default() -> Self {
        ShopConfig { users: 3000, items: 1500, categories: 24, impressions_per_user: 60, history_len: 20, seed: 7 }
    }
}

const LATENT: usize = 8;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Generates impressions in time order per user, with columns `user_id`, `item_id`,
/// `category`, `price`, `age`, `device`, `recent` (item ids clicked before, oldest first),
/// `position` (impression index within the user) and `clicked`.
pub fn generate(config: &ShopConfig) -> Result<Table> {
    let mut rng = Rng::new(config.seed);
    let centroids: Vec<Vec<f64>> = (0..config.categories).map(|_| (0..LATENT).map(|_| rng.normal()).collect()).collect();
    let mut item_category = Vec::with_capacity(config.items);
    let mut item_vector = Vec::with_capacity(config.items);
    let mut item_price = Vec::with_capacity(config.items);
    let mut item_popularity = Vec::with_capacity(config.items);
    for _ in 0..config.items {
        // Skewed category sizes.
        let c = ((rng.uniform().powf(1.5)) * config.categories as f64) as usize % config.categories;
        item_category.push(c);
        item_vector.push(centroids[c].iter().map(|m| m + 0.7 * rng.normal()).collect::<Vec<f64>>());
        item_price.push((3.0 + 0.25 * (c % 5) as f64 + 0.6 * rng.normal()).exp());
        item_popularity.push((1.2 * rng.normal()).exp());
    }
    // Sampling candidates by popularity: cumulative weights.
    let total: f64 = item_popularity.iter().sum();
    let mut cumulative = Vec::with_capacity(config.items);
    let mut acc = 0.0;
    for p in &item_popularity {
        acc += p / total;
        cumulative.push(acc);
    }
    let by_category: Vec<Vec<usize>> =
        (0..config.categories).map(|c| (0..config.items).filter(|&i| item_category[i] == c).collect()).collect();
    let devices = ["ios", "android", "web"];
    let (mut user_col, mut item_col, mut cat_col, mut price_col, mut age_col, mut device_col) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut recent_col, mut position_col, mut label_col) = (vec![], vec![], vec![]);
    for user in 0..config.users {
        let favourite = rng.below(config.categories);
        let second = rng.below(config.categories);
        let age = 18 + rng.below(53) as i64;
        let device = devices[rng.below(3)];
        let price_sensitivity = 0.5 + 0.4 * rng.normal();
        let age_axis = (age as f64 - 44.0) / 15.0;
        let mut taste: Vec<f64> = (0..LATENT)
            .map(|k| 0.8 * centroids[favourite][k] + 0.4 * centroids[second][k] + 0.5 * rng.normal() + 0.3 * age_axis * centroids[k % config.categories][k])
            .collect();
        let mut clicked: Vec<usize> = Vec::new();
        let n = config.impressions_per_user / 2 + rng.below(config.impressions_per_user + 1);
        for position in 0..n {
            let item = if rng.uniform() < 0.65 {
                let u = rng.uniform();
                cumulative.partition_point(|&c| c < u).min(config.items - 1)
            } else {
                let pool = &by_category[if rng.uniform() < 0.7 { favourite } else { second }];
                if pool.is_empty() { rng.below(config.items) } else { pool[rng.below(pool.len())] }
            };
            let v = &item_vector[item];
            let recent: Vec<usize> = clicked.iter().rev().take(config.history_len).rev().copied().collect();
            let session = if recent.is_empty() {
                0.0
            } else {
                recent.iter().rev().take(5).map(|&r| dot(&item_vector[r], v)).sum::<f64>() / recent.len().min(5) as f64
            };
            let logit = 0.55 * dot(&taste, v) / (LATENT as f64).sqrt() * 2.0 + 0.35 * session / (LATENT as f64).sqrt() * 2.0
                + 0.35 * item_popularity[item].ln()
                - price_sensitivity * (item_price[item].ln() - 3.3)
                - 1.6;
            let click = rng.uniform() < 1.0 / (1.0 + (-logit).exp());
            user_col.push(user as i64);
            item_col.push(item as i64);
            cat_col.push(format!("cat-{}", item_category[item]));
            price_col.push((item_price[item] * 100.0).round() / 100.0);
            age_col.push(age);
            device_col.push(device.to_string());
            recent_col.push(recent.iter().map(|r| r.to_string()).collect());
            position_col.push(position as i64);
            label_col.push(i64::from(click));
            if click {
                clicked.push(item);
                // Interests drift towards what was clicked.
                for (t, x) in taste.iter_mut().zip(v) {
                    *t = 0.97 * *t + 0.03 * x;
                }
            }
        }
    }
    let mut table = Table::new();
    table.push("user_id", Column::Int(user_col))?;
    table.push("item_id", Column::Int(item_col))?;
    table.push("category", Column::Str(cat_col))?;
    table.push("price", Column::Float(price_col))?;
    table.push("age", Column::Int(age_col))?;
    table.push("device", Column::Str(device_col))?;
    table.push("recent", Column::List(recent_col))?;
    table.push("position", Column::Int(position_col))?;
    table.push("clicked", Column::Int(label_col))?;
    Ok(table)
}

/// Per-user time split: each user's last `test` rows are test, the `valid` before them
/// validation, the rest training. Rows must be in time order per user.
pub fn split_by_user_time(table: &Table, user: &str, valid: usize, test: usize) -> Result<(Table, Table, Table)> {
    let users = table.column(user)?;
    let mut by_user: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for i in 0..table.rows() {
        by_user.entry(users.text(i)).or_default().push(i);
    }
    let (mut tr, mut va, mut te) = (vec![], vec![], vec![]);
    for rows in by_user.values() {
        let n = rows.len();
        let test_start = n.saturating_sub(test);
        let valid_start = test_start.saturating_sub(valid);
        tr.extend(&rows[..valid_start]);
        va.extend(&rows[valid_start..test_start]);
        te.extend(&rows[test_start..]);
    }
    Ok((table.take(&tr), table.take(&va), table.take(&te)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_plausible() {
        let config = ShopConfig { users: 50, items: 100, impressions_per_user: 20, ..Default::default() };
        let a = generate(&config).unwrap();
        let b = generate(&config).unwrap();
        assert_eq!(a, b);
        let Column::Int(labels) = a.column("clicked").unwrap() else { panic!() };
        let rate = labels.iter().sum::<i64>() as f64 / labels.len() as f64;
        assert!((0.1..0.6).contains(&rate), "click rate {rate}");
        let (train, valid, test) = split_by_user_time(&a, "user_id", 5, 5).unwrap();
        assert_eq!(train.rows() + valid.rows() + test.rows(), a.rows());
        assert_eq!(test.rows(), 50 * 5);
    }
}
