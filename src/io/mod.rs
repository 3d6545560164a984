//! File readers and writers: WAV (hound), IMU CSV, SisFall raw text, label side-cars,
//! detection JSONL.
