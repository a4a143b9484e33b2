//! `newswire feeds add/remove/enable/disable` as several users and scripts
//! run them (issue 15): concurrent edits all land, a symlinked config stays a
//! link, the file keeps its mode, and no temporary file is left behind.

mod harness;

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use harness::{BIN, Setup, describe};

fn feed_names(config: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(config).expect("read config");
    let cfg = newswire::config::Config::from_toml(&text, "test", config.parent())
        .expect("the config stays valid");
    cfg.feeds.iter().map(|f| f.name.clone()).collect()
}

#[test]
fn twenty_concurrent_adds_keep_twenty_feeds() {
    let setup = Setup::new(&[]);
    let children: Vec<_> = (0..20)
        .map(|i| {
            std::process::Command::new(BIN)
                .arg("--config")
                .arg(setup.config())
                .args([
                    "feeds",
                    "add",
                    &format!("https://wire{i}.example/rss.xml"),
                    "--name",
                    &format!("wire{i}"),
                    "--no-check",
                ])
                .env_remove("NEWSWIRE_CONFIG")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", describe(&out));
    }
    let mut names = feed_names(&setup.config());
    names.sort();
    let mut want: Vec<String> = (0..20).map(|i| format!("wire{i}")).collect();
    want.sort();
    assert_eq!(names, want);
    let leftovers: Vec<_> = std::fs::read_dir(setup.dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_symlinked_config_is_edited_where_it_points_and_keeps_its_mode() {
    let setup = Setup::new(&[]);
    // The real file lives elsewhere (say, a dotfiles checkout), mode 0640.
    let real_dir = tempfile::tempdir().expect("tempdir");
    let real = real_dir.path().join("newswire.toml");
    std::fs::rename(setup.config(), &real).expect("move config");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    std::os::unix::fs::symlink(&real, setup.config()).expect("symlink");

    let out = setup.run(&[
        "feeds",
        "add",
        "https://news.un.example/feed/rss.xml",
        "--name",
        "un",
        "--no-check",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let out = setup.run(&["feeds", "disable", "un"]);
    assert!(out.status.success(), "{}", describe(&out));

    let link = std::fs::symlink_metadata(setup.config()).expect("stat link");
    assert!(
        link.file_type().is_symlink(),
        "the link was replaced by a file"
    );
    assert_eq!(feed_names(&real), vec!["un".to_string()]);
    let mode = std::fs::metadata(&real).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}
