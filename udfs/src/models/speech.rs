//! whisper.cpp speech-to-text models (ggml files) through whisper-rs: one context per model
//! and a bounded pool of decoding states (each state holds whisper's KV caches and compute
//! buffers, ~70 MB for tiny.en), shared by every query. A query waits for a free state rather
//! than making more than [`states`] allows.

use std::cell::RefCell;
use std::path::Path;
use std::sync::{Condvar, Mutex};

use datafusion::common::{DataFusionError, Result, plan_err};
use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use super::device::Device;
use super::entry::ModelEntry;
use super::inference::Stop;

/// One piece of a transcript, times in seconds from the start of the audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
}

#[derive(Default)]
struct Pool {
    idle: Vec<WhisperState>,
    created: usize,
}

/// A loaded whisper model.
pub struct LoadedSpeechModel {
    pub entry: ModelEntry,
    context: WhisperContext,
    pool: Mutex<Pool>,
    freed: Condvar,
    max_states: usize,
}

impl std::fmt::Debug for LoadedSpeechModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedSpeechModel")
            .field("name", &self.entry.name)
            .finish()
    }
}

/// Checks that `language` names a language whisper knows ('en', 'de', ...). Detection
/// ('auto', or no language) is refused: whisper.cpp's language detection runs an encoder pass
/// that does not ask whether to stop, so a cancelled query would keep a core busy.
pub fn check_language(function: &str, language: &str) -> Result<()> {
    let known = !language.contains('\0') && whisper_rs::get_lang_id(language).is_some();
    if !known || language == "auto" {
        return plan_err!(
            "{function}: language '{language}' is not a language code whisper knows; \
             name the spoken language, such as 'en' (detection is not supported)"
        );
    }
    Ok(())
}

/// Decoding states a model keeps on `device`. On the CPU one state running on every core is
/// as fast as a state per core (48 clips of 3-10 s, tiny.en, 2 cores: 32.5 s against 33.1 s,
/// means of 3-4 runs) and holds one state's buffers instead of one per core (65 MiB less at
/// the peak). On a GPU the pool keeps a state per core, as before (not measured here), so
/// one clip's CPU work can overlap another's kernels.
pub fn states(device: Device) -> usize {
    match device {
        Device::Cpu => 1,
        Device::Cuda => crate::cores(),
    }
}

/// Whisper needs this much audio (shorter input is padded with silence): one second.
const MIN_SAMPLES: usize = 16_000;

impl LoadedSpeechModel {
    /// Loads the (verified) ggml file at `path`, allowing `max_states` decodings at once.
    /// On [`Device::Cuda`] whisper.cpp runs on the GPU (a build with the `cuda` feature).
    pub fn load(entry: ModelEntry, path: &Path, max_states: usize, device: Device) -> Result<Self> {
        whisper_rs::install_logging_hooks();
        let mut params = WhisperContextParameters::default();
        params.use_gpu(device == Device::Cuda);
        // Flash attention, whisper.cpp's default. Since ggml's tiled CPU kernel (whisper.cpp
        // 1.8.4) it is the fast path: 48 clips took 33 s with it against 103 s without
        // (1.8.5, tiny.en, 2 cores), and no state holds the full attention matrices.
        params.flash_attn(true);
        let context = WhisperContext::new_with_params(path, params).map_err(|e| {
            DataFusionError::Execution(format!("loading model {}: {e}", path.display()))
        })?;
        Ok(Self {
            entry,
            context,
            pool: Mutex::default(),
            freed: Condvar::new(),
            max_states: max_states.max(1),
        })
    }

    /// States this model may use at once.
    pub fn max_states(&self) -> usize {
        self.max_states
    }

    /// Transcribes 16 kHz mono `samples` with `threads` threads. Empty audio gives no
    /// segments. whisper.cpp walks long audio in 30-second windows itself.
    pub fn transcribe(
        &self,
        samples: &[f32],
        language: &str,
        threads: usize,
        stop: &Stop,
    ) -> std::result::Result<Vec<Segment>, String> {
        if stop.is_stopped() {
            return Err("stopped: nobody waits for this transcript".into());
        }
        if samples.is_empty() {
            return Ok(Vec::new());
        }
        let mut padded;
        let samples = if samples.len() < MIN_SAMPLES {
            padded = samples.to_vec();
            padded.resize(MIN_SAMPLES, 0.0);
            &padded[..]
        } else {
            samples
        };
        let mut state = self.take_state()?;
        let result = run(&mut state, samples, language, threads, stop);
        self.give_back(state);
        result
    }

    fn take_state(&self) -> std::result::Result<WhisperState, String> {
        let mut pool = self.pool.lock().map_err(|_| "whisper pool lock poisoned")?;
        loop {
            if let Some(state) = pool.idle.pop() {
                return Ok(state);
            }
            if pool.created < self.max_states {
                pool.created += 1;
                drop(pool);
                return self.context.create_state().map_err(|e| {
                    if let Ok(mut pool) = self.pool.lock() {
                        pool.created -= 1;
                    }
                    format!("creating a whisper state: {e}")
                });
            }
            pool = self
                .freed
                .wait(pool)
                .map_err(|_| "whisper pool lock poisoned")?;
        }
    }

    fn give_back(&self, state: WhisperState) {
        if let Ok(mut pool) = self.pool.lock() {
            pool.idle.push(state);
            self.freed.notify_one();
        }
    }
}

thread_local! {
    /// The stop of the transcription running on this thread. whisper.cpp calls its abort
    /// callback on the thread running `full` (ggml's thread 0 is the caller).
    static RUNNING: RefCell<Option<Stop>> = const { RefCell::new(None) };
}

/// whisper's abort callback. It must be a function item, which captures nothing: whisper-rs
/// 0.16's `set_abort_callback_safe` hands its trampoline a pointer to a boxed trait object but
/// reads it as the closure itself, which is only sound for a closure of size zero.
fn stopped_here() -> bool {
    #[cfg(test)]
    tests::ASKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    RUNNING.with(|running| running.borrow().as_ref().is_some_and(Stop::is_stopped))
}

fn run(
    state: &mut WhisperState,
    samples: &[f32],
    language: &str,
    threads: usize,
    stop: &Stop,
) -> std::result::Result<Vec<Segment>, String> {
    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    // whisper.cpp asks between its steps whether to go on: a stopped run ends there.
    RUNNING.with(|running| *running.borrow_mut() = Some(stop.clone()));
    params.set_abort_callback_safe(stopped_here);
    params.set_n_threads(threads.max(1) as i32);
    params.set_language(Some(language));
    params.set_print_progress(false);
    params.set_print_realtime(false);
    params.set_print_timestamps(false);
    params.set_print_special(false);
    let result = state.full(params, samples);
    RUNNING.with(|running| *running.borrow_mut() = None);
    if stop.is_stopped() {
        return Err("stopped: nobody waits for this transcript".into());
    }
    result.map_err(|e| format!("whisper: {e}"))?;
    let mut segments = Vec::new();
    for i in 0..state.full_n_segments() {
        let Some(segment) = state.get_segment(i) else {
            continue;
        };
        let text = segment
            .to_str_lossy()
            .map_err(|e| format!("whisper: {e}"))?
            .trim()
            .to_string();
        // whisper.cpp's words for "no speech here": silence transcribes to nothing.
        if is_non_speech(&text) {
            continue;
        }
        // Times come in centiseconds.
        segments.push(Segment {
            start_s: segment.start_timestamp() as f64 / 100.0,
            end_s: segment.end_timestamp() as f64 / 100.0,
            text,
        });
    }
    Ok(segments)
}

/// Whether `text` is one of whisper's non-speech markers (`[BLANK_AUDIO]`, `[ Silence ]`,
/// `(silence)`), not words.
fn is_non_speech(text: &str) -> bool {
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .or_else(|| text.strip_prefix('(').and_then(|t| t.strip_suffix(')')));
    inner.is_some_and(|t| {
        let t = t.trim().to_ascii_lowercase();
        t == "blank_audio" || t == "silence"
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::audio::decode::{SPEECH_RATE, decode_mono};
    use crate::models::{ModelRegistry, default_models_dir};

    /// Times whisper.cpp asked [`stopped_here`] whether to stop, in this test process.
    pub(super) static ASKED: AtomicUsize = AtomicUsize::new(0);

    /// With vendor/whisper-rs-sys.patch, whisper.cpp asks after every node of its graphs
    /// (hundreds per encoder pass), so a cancelled run stops within one node; unpatched, it
    /// asks once per encoder pass and once per decoded token (a few dozen times for a clip).
    #[test]
    fn whisper_asks_whether_to_stop_after_every_node() {
        let dir = default_models_dir();
        let entry = ModelRegistry::new(&dir)
            .unwrap()
            .entry("whisper_tiny_en")
            .unwrap();
        let model = LoadedSpeechModel::load(
            entry,
            &dir.join("whisper-tiny.en/ggml-tiny.en.bin"),
            1,
            Device::Cpu,
        )
        .unwrap();
        let clip = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../sql-tests/fixtures/audio/harbor.wav"),
        )
        .unwrap();
        let audio = decode_mono(&clip, SPEECH_RATE).unwrap();
        let before = ASKED.load(Ordering::Relaxed);
        let segments = model
            .transcribe(&audio.samples, "en", 2, &Stop::default())
            .unwrap();
        let asked = ASKED.load(Ordering::Relaxed) - before;
        let text: String = segments.iter().map(|s| s.text.as_str()).collect();
        assert!(text.to_lowercase().contains("harbor"), "{text}");
        assert!(asked > 500, "whisper asked only {asked} times");
    }

    #[test]
    fn languages_are_codes_whisper_knows() {
        assert!(check_language("transcribe", "en").is_ok());
        assert!(check_language("transcribe", "de").is_ok());
        for bad in ["auto", "", "klingon", "e\0n"] {
            let err = check_language("transcribe", bad)
                .expect_err(bad)
                .to_string();
            assert!(err.contains("transcribe: language"), "{err}");
        }
    }

    #[test]
    fn non_speech_markers_are_not_words() {
        for marker in ["[BLANK_AUDIO]", "[ Silence ]", "(silence)"] {
            assert!(is_non_speech(marker), "{marker}");
        }
        assert!(!is_non_speech("[music] and words"));
        assert!(!is_non_speech("seven purple kites"));
    }
}
