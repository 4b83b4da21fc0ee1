//! Micro-benchmarks of the hottest functions (`make bench`, not CI): the
//! amount grammar (numbers and units), reference-entry parsing, and the whole
//! extraction of one document. The figures complement `bench/run.sh`, which
//! times the whole pipeline on a generated corpus.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use nutripipe::extract::{extract_document, quantities, references};
use nutripipe::ingest;
use nutripipe::model::Lang;

/// The largest source text, parsed once (ingest is not what is measured here).
fn sample_text() -> (String, String) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("raw");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0));
    let p = files.pop().expect("raw/ holds source texts");
    let text = std::fs::read_to_string(&p).expect("UTF-8 source");
    let id = p
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    (id, text)
}

fn amounts(c: &mut Criterion) {
    let sentences: [(&str, Lang); 6] = [
        (
            "Algemene preventie (onderhoudsdosering): 90-180 mcg per dag",
            Lang::Nl,
        ),
        (
            "Natto bevat ongeveer 1.000 µg vitamine K2 per 100 gram.",
            Lang::Nl,
        ),
        (
            "Take 1,2 mg twice daily, or up to 15,000 IU of vitamin D3.",
            Lang::En,
        ),
        (
            "Egg yolk, chicken, liver, beef 5-15 mcg per portion",
            Lang::En,
        ),
        (
            "tussen 45 en 180 microgram per dag (samen met 2000 ie vitamine D3)",
            Lang::Nl,
        ),
        (
            "Vitamin K2 has low toxicity and no upper limit has been set.",
            Lang::En,
        ),
    ];
    let bytes: usize = sentences.iter().map(|(s, _)| s.len()).sum();
    let mut g = c.benchmark_group("quantities");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("find_amounts", |b| {
        b.iter(|| {
            for (s, l) in &sentences {
                black_box(quantities::find_amounts(black_box(s), *l));
            }
        })
    });
    g.finish();
}

fn reference_entries(c: &mut Criterion) {
    let entries = [
        "Zhang T et al. Vitamin K2 in health and disease: a clinical perspective. Foods. 2024;13:1646.",
        "Kühn, G., & Müller, H. (2017). De synergetische wisselwerking tussen vitamine D en K voor bot- en cardiovasculaire gezondheid. International Journal of Endocrinology, 2017, Article ID 7453471. DOI: 10.1155/2017/7453471.",
        "Tayel, S. et al (2024). Onderzoek naar de effecten van gecombineerde vitamine D- en K-suppletie bij postmenopauzale vrouwen. Nutrients, 16(2), 1-20. DOI: 10.3390/nu16020549.",
        "Roumeliotis S et al. The role of vitamin K2 in cognitive impairment. Front Aging Neurosci. 2025;16:1527535.",
    ];
    let bytes: usize = entries.iter().map(|s| s.len()).sum();
    let mut g = c.benchmark_group("references");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("parse_entry", |b| {
        b.iter(|| {
            for e in &entries {
                black_box(references::parse_entry(black_box(e)));
            }
        })
    });
    g.finish();
}

fn document(c: &mut Criterion) {
    let (id, text) = sample_text();
    let doc = ingest::parse_text(&id, &format!("{id}.txt"), &text);
    let mut g = c.benchmark_group("document");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    g.bench_function("ingest", |b| {
        b.iter(|| black_box(ingest::parse_text(&id, "x.txt", black_box(&text))))
    });
    g.bench_function("extract_document", |b| {
        b.iter(|| black_box(extract_document(black_box(&doc))))
    });
    g.finish();
}

criterion_group!(benches, amounts, reference_entries, document);
criterion_main!(benches);
