use super::*;

const H: Millis = 3_600_000;

fn sil(id: &str, m: &[Matcher], start: Millis, end: Millis) -> Silence {
    Silence {
        id: id.into(),
        matchers: m.to_vec(),
        starts_at: start,
        ends_at: end,
        updated_at: 0,
        created_by: "me".into(),
        comment: "c".into(),
    }
}

fn store(now: Millis) -> Silences {
    Silences::new(Clock::starting_at(now), 120 * H, Limits::default(), None)
}

#[tokio::test(start_paused = true)]
async fn create_update_replace_expire() {
    let now = 1_000 * H;
    let s = store(now);
    let m = [Matcher::equal("a", "b")];
    let id = s.set(sil("", &m, now - H, now + H)).expect("created");
    let got = s.get(&id).expect("stored");
    // Start times in the past are moved to now.
    assert_eq!(got.starts_at, now);
    assert_eq!(got.state(now), SilenceState::Active);
    // Extending an active silence keeps its ID.
    let same = s.set(sil(&id, &m, now, now + 2 * H)).expect("updated");
    assert_eq!(same, id);
    // Changing matchers creates a new silence and expires the old one.
    let other = s
        .set(sil(&id, &[Matcher::equal("a", "c")], now, now + H))
        .expect("replaced");
    assert_ne!(other, id);
    assert_eq!(
        s.get(&id).map(|x| x.state(now)),
        Some(SilenceState::Expired)
    );
    s.expire(&other).expect("expired");
    assert!(s.expire(&other).is_err());
    assert!(matches!(
        s.set(sil("nope", &m, now, now + H)),
        Err(Error::SilenceNotFound(_))
    ));
    assert_eq!(s.count_by_state(), [0, 0, 2]);
    // Updating an expired silence recreates it under a new ID; the old one stays expired.
    let again = s.set(sil(&other, &m, now, now + H)).expect("recreated");
    assert_ne!(again, other);
    assert_eq!(s.count_by_state(), [1, 0, 2]);
}

#[tokio::test(start_paused = true)]
async fn validation_messages() {
    let now = 1_000 * H;
    let s = store(now);
    let e = |x: Silence| {
        s.set(x)
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default()
    };
    assert_eq!(
        e(sil("", &[], now, now + H)),
        "invalid silence: at least one matcher required"
    );
    assert_eq!(
        e(sil("", &[Matcher::equal("a", "")], now, now + H)),
        "invalid silence: at least one matcher must not match the empty string"
    );
    assert_eq!(
        e(sil("", &[Matcher::equal("a", "b")], now + H, now)),
        "invalid silence: end time must not be before start time"
    );
}

#[tokio::test(start_paused = true)]
async fn mutes_active_only_and_follows_time() {
    let now = 1_000 * H;
    let s = store(now);
    let labels = Labels::from_pairs([("a", "b"), ("x", "y")]);
    let fp = Fingerprint::of(&labels);
    let id = s
        .set(sil(
            "",
            &[Matcher::regex_match("a", "b|c").expect("re")],
            now + H,
            now + 2 * H,
        ))
        .expect("pending");
    assert!(s.mutes(fp, &labels, now).is_empty());
    assert_eq!(s.mutes(fp, &labels, now + H + 1), vec![id.clone()]);
    assert!(s.mutes(fp, &labels, now + 3 * H).is_empty());
}

#[tokio::test(start_paused = true)]
async fn limits() {
    let now = 1_000 * H;
    let s = Silences::new(
        Clock::starting_at(now),
        H,
        Limits {
            max_silences: 1,
            max_silence_size_bytes: 100,
        },
        None,
    );
    let m = [Matcher::equal("a", "b")];
    s.set(sil("", &m, now, now + H)).expect("first");
    let e = s.set(sil("", &m, now, now + H)).expect_err("limit");
    assert_eq!(
        e.to_string(),
        "exceeded maximum number of silences: 1 (limit: 1)"
    );
    let mut big = sil("", &m, now, now + H);
    big.comment = "x".repeat(200);
    assert!(
        s.set(big)
            .expect_err("size")
            .to_string()
            .starts_with("silence exceeded maximum size")
    );
}

#[tokio::test(start_paused = true)]
async fn snapshot_round_trip_and_gc() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("silences");
    let now = 1_000 * H;
    let s = Silences::new(
        Clock::starting_at(now),
        H,
        Limits::default(),
        Some(path.clone()),
    );
    let id = s
        .set(sil("", &[Matcher::not_equal("a", "")], now, now + H))
        .expect("set");
    assert!(s.snapshot().expect("snap") > 0);
    let t = Silences::new(
        Clock::starting_at(now),
        H,
        Limits::default(),
        Some(path.clone()),
    );
    assert_eq!(t.load_snapshot().expect("load"), 1);
    let back = t.get(&id).expect("loaded");
    assert_eq!(back.matchers[0].to_string(), "a!=\"\"");
    assert_eq!(back.ends_at, now + H);
    // Past retention (end + 1h) the silence is collected.
    let later = Silences::new(
        Clock::starting_at(now + 3 * H),
        H,
        Limits::default(),
        Some(path.clone()),
    );
    assert_eq!(later.load_snapshot().expect("load"), 0);
    std::fs::write(&path, [0xff, 0xff]).expect("write");
    assert!(t.load_snapshot().is_err());
}

#[tokio::test(start_paused = true)]
async fn merge_keeps_the_newest_update() {
    let now = 1_000 * H;
    let s = store(now);
    let mut a = sil("x", &[Matcher::equal("a", "b")], now, now + H);
    a.updated_at = 5;
    assert!(s.merge(a.clone(), now + 2 * H));
    let mut older = a.clone();
    older.updated_at = 4;
    older.comment = "old".into();
    assert!(!s.merge(older, now + 2 * H));
    assert!(!s.merge(a.clone(), now + 2 * H));
    assert_eq!(s.get("x").map(|x| x.comment), Some("c".to_string()));
}

#[tokio::test(start_paused = true)]
async fn index_finds_equal_and_scan_silences() {
    let now = 1_000 * H;
    let s = store(now);
    let eq = s
        .set(sil(
            "",
            &[
                Matcher::equal("instance", "a"),
                Matcher::regex_match("job", "n.*").expect("re"),
            ],
            now,
            now + H,
        ))
        .expect("eq");
    let re = s
        .set(sil(
            "",
            &[Matcher::regex_match("instance", "a|b").expect("re")],
            now,
            now + H,
        ))
        .expect("re");
    let labels = Labels::from_pairs([("instance", "a"), ("job", "node")]);
    let mut want = vec![eq.clone(), re.clone()];
    want.sort();
    assert_eq!(s.mutes(Fingerprint::of(&labels), &labels, now), want);
    let other = Labels::from_pairs([("instance", "b"), ("job", "node")]);
    assert_eq!(
        s.mutes(Fingerprint::of(&other), &other, now),
        vec![re.clone()]
    );
    // A new silence invalidates the cache and the index.
    let third = s
        .set(sil("", &[Matcher::equal("job", "node")], now, now + H))
        .expect("third");
    assert!(
        s.mutes(Fingerprint::of(&other), &other, now)
            .contains(&third)
    );
}
