use super::IoError;
use crate::Timestamp;
use std::path::{Path, PathBuf};

/// One reference event from a label side-car.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Reference onset.
    pub onset: Timestamp,
    /// Reference offset (`>= onset`).
    pub offset: Timestamp,
    /// Event kind as written (`gunshot`, `running`, `fall`, `officer_down`, `tap`,
    /// `holster_draw`, ...). Kept as text so that kinds the detectors do not produce still
    /// round-trip.
    pub kind: String,
}

/// The side-car of a recording: `NAME.labels.csv` next to `NAME.wav` / `NAME.csv` /
/// `NAME.txt`.
pub fn labels_path_for(recording: &Path) -> PathBuf {
    recording.with_extension("labels.csv")
}

/// Reads a label file: header `onset_s,offset_s,kind`, one event a row.
pub fn read_labels(path: &Path) -> Result<Vec<Label>, IoError> {
    let text = std::fs::read_to_string(path).map_err(|e| IoError::io(path, e))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    match lines.next() {
        Some((_, h)) => {
            let cols: Vec<&str> = h.split(',').map(str::trim).collect();
            if cols.len() < 3 || cols[0] != "onset_s" || cols[1] != "offset_s" || cols[2] != "kind"
            {
                return Err(IoError::parse(
                    path,
                    1,
                    format!("expected header `onset_s,offset_s,kind`, found `{h}`"),
                ));
            }
        }
        None => return Ok(Vec::new()),
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let lineno = i + 1;
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() < 3 {
            return Err(IoError::parse(
                path,
                lineno,
                format!("expected 3 fields onset_s,offset_s,kind, found {}", f.len()),
            ));
        }
        let num = |s: &str, name: &str| -> Result<f64, IoError> {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    IoError::parse(
                        path,
                        lineno,
                        format!("{name} is not a non-negative number: {s:?}"),
                    )
                })
        };
        let onset = num(f[0], "onset_s")?;
        let offset = num(f[1], "offset_s")?;
        if offset < onset {
            return Err(IoError::parse(
                path,
                lineno,
                format!("offset_s {offset} is before onset_s {onset}"),
            ));
        }
        if f[2].is_empty() {
            return Err(IoError::parse(path, lineno, "empty kind"));
        }
        out.push(Label {
            onset: Timestamp::from_secs_f64(onset),
            offset: Timestamp::from_secs_f64(offset),
            kind: f[2].to_string(),
        });
    }
    Ok(out)
}

/// Reads the side-car of `recording`; a recording without one has no events (empty list).
pub fn read_labels_for(recording: &Path) -> Result<Vec<Label>, IoError> {
    let p = labels_path_for(recording);
    if p.exists() {
        read_labels(&p)
    } else {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_rejects() {
        let dir = std::env::temp_dir().join(format!("autotrigger-lab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rec = dir.join("x.wav");
        assert!(read_labels_for(&rec).unwrap().is_empty());
        std::fs::write(
            labels_path_for(&rec),
            "onset_s,offset_s,kind\n1.5,1.6,gunshot\n\n2,3,holster_draw\n",
        )
        .unwrap();
        let l = read_labels_for(&rec).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].onset, Timestamp(1_500_000));
        assert_eq!(l[1].kind, "holster_draw");
        let bad = dir.join("bad.labels.csv");
        std::fs::write(&bad, "onset_s,offset_s,kind\n1,0.5,fall\n").unwrap();
        let e = read_labels(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.labels.csv:2:"), "{e}");
        std::fs::write(&bad, "a,b\n").unwrap();
        assert!(read_labels(&bad).unwrap_err().to_string().contains(":1:"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
