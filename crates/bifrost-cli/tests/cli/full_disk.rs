//! A checkout that runs out of space changes nothing at its destination, and says so truly.
//! Needs root (it mounts a small tmpfs), as CI and the dev machines run; fails, never skips.

use std::path::{Path, PathBuf};

use crate::custody::on_each_backend;
use crate::support::*;

/// A tmpfs of `size` mounted at a fresh directory, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn new(parent: &Path, size: &str) -> Self {
        let dir = parent.join("small-disk");
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                s(&dir),
            ])
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs to fill it up and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { dir }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.dir).status();
    }
}

#[test]
fn a_checkout_that_fills_the_disk_leaves_the_destination_as_it_was() {
    on_each_backend(fill_the_disk);
}

fn fill_the_disk(repo: &Repo, backend: &str) {
    repo.create_asset("plates", "plate");
    let input = repo.work("plates");
    // Small files (restored in one batch), two large ones (restored a chunk at a time) and a
    // repeat (cloned): together more than the disk holds.
    for i in 0..5 {
        write_random(&input.join(format!("small{i}.bin")), 100 * 1024, 10 + i);
    }
    write_random(&input.join("a.bin"), 3 * 1024 * 1024, 1);
    write_random(&input.join("b.bin"), 3 * 1024 * 1024, 2);
    std::fs::copy(input.join("a.bin"), input.join("a-again.bin")).unwrap();
    repo.publish("plates", &[&input]);

    let disk = SmallDisk::new(&repo.work, "8m");
    // Into an existing directory: whatever was there stays, nothing new appears.
    let existing = disk.dir.join("shot");
    std::fs::create_dir_all(&existing).unwrap();
    write_file(&existing.join("notes.txt"), b"keep me", 0o644);
    let before = tree(&existing);
    let stderr = repo.fails(&["checkout", "plates@v1", s(&existing)], &["disk is full"]);
    assert!(!stderr.contains("nothing partial"), "{backend}: {stderr}");
    assert_eq!(
        tree(&existing),
        before,
        "{backend}: a failed checkout changed the directory"
    );
    assert_eq!(
        std::fs::read_dir(&existing).unwrap().count(),
        1,
        "temporary files were left behind"
    );
    // Into a new destination: nothing at all.
    let fresh = disk.dir.join("new");
    repo.fails(&["checkout", "plates@v1", s(&fresh)], &["disk is full"]);
    assert!(!fresh.exists());
    assert_eq!(
        std::fs::read_dir(&disk.dir).unwrap().count(),
        1,
        "a staging directory was left behind"
    );
    // With room, the same checkout succeeds whole.
    drop(disk);
    let roomy = repo.work("roomy");
    std::fs::create_dir_all(&roomy).unwrap();
    repo.checkout("plates@v1", &roomy);
    assert_tree(&roomy, &published_tree(&[&input]));
}
