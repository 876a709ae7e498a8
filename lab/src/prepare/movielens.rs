//! MovieLens-100K prepared by the distillation protocol: label = rating >= 4; each user's
//! ratings in time order; features user, item, age, gender, occupation, the item's genre set,
//! and the user's previous 20 items; per-user time split (last 5 test, 5 before validation).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};

use dram_tools::data::{self, Column, Table};

const GENRES: [&str; 19] = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
];

/// Reads `ratings.parquet`, `users.parquet` and `items.parquet` from `dir` (as
/// `scripts/fetch-data.sh` leaves them) and returns (train, valid, test).
pub fn prepare(dir: &Path) -> Result<(Table, Table, Table)> {
    let read = |name: &str| data::read(&dir.join(name)).with_context(|| format!("run scripts/fetch-data.sh first ({name})"));
    let ratings = read("ratings.parquet")?;
    let users = read("users.parquet")?;
    let items = read("items.parquet")?;
    let mut user_info: BTreeMap<String, (f64, String, String)> = BTreeMap::new();
    let (uid, age, gender, occupation) = (users.column("user_id")?, users.column("age")?, users.column("gender")?, users.column("occupation")?);
    for i in 0..users.rows() {
        user_info.insert(uid.text(i), (age.number(i).unwrap_or(f64::NAN), gender.text(i), occupation.text(i)));
    }
    let mut genres: BTreeMap<String, String> = BTreeMap::new();
    let movie = items.column("movie_id")?;
    let flags: Vec<&Column> = GENRES.iter().map(|g| items.column(g)).collect::<Result<_>>()?;
    for i in 0..items.rows() {
        let set: Vec<&str> = GENRES.iter().zip(&flags).filter(|(_, c)| c.number(i) == Some(1.0)).map(|(g, _)| *g).collect();
        genres.insert(movie.text(i), set.join("|"));
    }
    let (r_user, r_movie, r_rating, r_time) =
        (ratings.column("user_id")?, ratings.column("movie_id")?, ratings.column("rating")?, ratings.column("timestamp")?);
    let mut by_user: BTreeMap<i64, Vec<(i64, i64, i64)>> = BTreeMap::new();
    for i in 0..ratings.rows() {
        let user = r_user.number(i).context("user_id")? as i64;
        by_user.entry(user).or_default().push((
            r_time.number(i).context("timestamp")? as i64,
            r_movie.number(i).context("movie_id")? as i64,
            r_rating.number(i).context("rating")? as i64,
        ));
    }
    let mut splits: [Columns; 3] = Default::default();
    for (user, mut events) in by_user {
        events.sort();
        let n = events.len();
        let (user_age, user_gender, user_occupation) = user_info.get(&user.to_string()).cloned().context("rating of an unknown user")?;
        for (k, &(_, movie, rating)) in events.iter().enumerate() {
            let split = if k + 5 >= n { 2 } else if k + 10 >= n { 1 } else { 0 };
            let c = &mut splits[split];
            c.user.push(user);
            c.item.push(movie);
            c.age.push(user_age);
            c.gender.push(user_gender.clone());
            c.occupation.push(user_occupation.clone());
            c.genres.push(genres.get(&movie.to_string()).cloned().unwrap_or_default());
            c.recent.push(events[k.saturating_sub(20)..k].iter().map(|e| e.1.to_string()).collect());
            c.label.push(i64::from(rating >= 4));
        }
    }
    let [train, valid, test] = splits.map(Columns::into_table);
    Ok((train?, valid?, test?))
}

#[derive(Default)]
struct Columns {
    user: Vec<i64>,
    item: Vec<i64>,
    age: Vec<f64>,
    gender: Vec<String>,
    occupation: Vec<String>,
    genres: Vec<String>,
    recent: Vec<Vec<String>>,
    label: Vec<i64>,
}

impl Columns {
    fn into_table(self) -> Result<Table> {
        let mut t = Table::new();
        t.push("user_id", Column::Int(self.user))?;
        t.push("movie_id", Column::Int(self.item))?;
        t.push("age", Column::Float(self.age))?;
        t.push("gender", Column::Str(self.gender))?;
        t.push("occupation", Column::Str(self.occupation))?;
        t.push("genres", Column::Str(self.genres))?;
        t.push("recent", Column::List(self.recent))?;
        t.push("liked", Column::Int(self.label))?;
        Ok(t)
    }
}
