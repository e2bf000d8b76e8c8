use crate::helpers::{fresh_database, spawn_app};

#[tokio::test]
async fn health_reports_database_and_queue_ok() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["queue"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_route_is_a_problem_json_404() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/no/such/thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], 404);
    app.stop().await;
}

#[tokio::test]
async fn swagger_ui_and_the_openapi_document_are_served() {
    let app = spawn_app().await;
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let spec: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"]["/manage/v1/tenancies/{reference}/account"]["get"].is_object());
    app.stop().await;
}

#[test]
fn the_committed_mobile_api_spec_is_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../mobile-api-spec");
    for (file, now) in [
        ("openapi.yaml", rentdesk_server::startup::spec_yaml()),
        ("openapi.json", rentdesk_server::startup::spec_json()),
    ] {
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            committed == now,
            "mobile-api-spec/{file} is stale: run `cargo run --bin rentdesk -- spec` and commit it"
        );
    }
}

/// What OpenAPI 3.0 tools and generators need of the document (style.md §10): a 3.0
/// document with nothing 3.1-only, standard date formats, and every property that may be
/// sent as `null` declared nullable; the YAML and JSON forms say the same thing.
#[test]
fn the_document_is_plain_openapi_3_0_with_standard_formats_and_nullables() {
    let json: serde_json::Value =
        serde_json::from_str(&rentdesk_server::startup::spec_json()).unwrap();
    let yaml: serde_json::Value =
        serde_yaml::from_str(&rentdesk_server::startup::spec_yaml()).unwrap();
    assert_eq!(json, yaml);
    assert_eq!(json["openapi"], "3.0.3");
    assert!(
        json["info"].get("summary").is_none(),
        "info.summary is 3.1-only"
    );
    let text = rentdesk_server::startup::spec_json();
    assert!(!text.contains("naive-date"), "non-standard date format");
    // The tenant app's first screen: its optional parts may be null, and say so.
    let account = &json["components"]["schemas"]["TenantAccount"]["properties"];
    for field in [
        "technical_reason",
        "expected_benefit",
        "plan",
        "last_payment",
    ] {
        assert_eq!(account[field]["nullable"], true, "TenantAccount.{field}");
    }
    // Every example in the document is an instance of its schema.
    let faults = rentdesk_server::contract::Contract::new(&json).example_faults();
    assert!(
        faults.is_empty(),
        "examples that break their schema: {faults:#?}"
    );
    // Every problem lists its field errors, even when there are none.
    let problem = &json["components"]["schemas"]["Problem"];
    assert!(
        problem["required"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("errors"))
    );
}

#[tokio::test]
async fn migrations_roll_all_the_way_down_and_up_again() {
    use sea_orm::{ConnectionTrait, Statement};
    let (url, file) = fresh_database().await;
    let db = rentdesk_store::db::connect(&url, 2).await.unwrap();
    rentdesk_store::db::migrate(&db).await.unwrap();
    rentdesk_store::db::migrate_down_all(&db).await.unwrap();
    let backend = db.get_database_backend();
    let count_tables = match backend {
        sea_orm::DbBackend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('tenancies', 'transactions', 'messages')"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('tenancies', 'transactions', 'messages')"
        }
    };
    let n: i64 = db
        .query_one_raw(Statement::from_string(backend, count_tables))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(n, 0, "down removes the tables");
    rentdesk_store::db::migrate(&db).await.unwrap();
    rentdesk_store::db::migrate(&db).await.unwrap();
    if let Some(f) = file {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn docker_compose_brings_up_every_service_with_health_checks() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docker-compose.yml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap())
        .expect("docker-compose.yml parses");
    let services = doc["services"].as_mapping().expect("services");
    for name in ["postgres", "redis", "mailpit", "server", "worker"] {
        assert!(services.contains_key(name), "service {name}");
    }
    for name in ["postgres", "redis", "mailpit", "server"] {
        assert!(
            doc["services"][name]["healthcheck"]["test"].is_sequence(),
            "{name} has a health check"
        );
    }
    // Issue 19: secrets have no default a reader of the repository could use; compose stops
    // with a message (`${VAR:?…}`) when one is not set.
    let env = &doc["x-app-env"];
    let key = env["TOKEN_SIGNING_KEY"].as_str().unwrap();
    assert!(key.starts_with("${TOKEN_SIGNING_KEY:?"), "{key}");
    let db = env["DATABASE_URL"].as_str().unwrap();
    assert!(db.contains("${POSTGRES_PASSWORD:?"), "{db}");
    let pg = doc["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
        .as_str()
        .unwrap();
    assert!(pg.starts_with("${POSTGRES_PASSWORD:?"), "{pg}");
    for (name, service) in services {
        let text = serde_yaml::to_string(service).unwrap();
        assert!(
            !text.contains(":-change-me") && !text.contains("PASSWORD: rentdesk"),
            "{name:?} defaults a secret: {text}"
        );
    }
}

#[tokio::test]
async fn servers_starting_together_migrate_once_without_failing() {
    let (url, file) = fresh_database().await;
    let a = rentdesk_store::db::connect(&url, 2).await.unwrap();
    let b = rentdesk_store::db::connect(&url, 2).await.unwrap();
    let c = rentdesk_store::db::connect(&url, 2).await.unwrap();
    let (ra, rb, rc) = tokio::join!(
        rentdesk_store::db::migrate(&a),
        rentdesk_store::db::migrate(&b),
        rentdesk_store::db::migrate(&c)
    );
    ra.unwrap();
    rb.unwrap();
    rc.unwrap();
    if let Some(f) = file {
        let _ = std::fs::remove_file(f);
    }
}

/// Issue 15, the contract is exact: the closed vocabularies of the answers are `enum`s in the
/// published document, each listing exactly what the domain and the store hold, so a
/// generated client knows every value and a value added on one side only fails here.
#[tokio::test]
async fn closed_response_vocabularies_are_enums_listing_the_stored_values() {
    let app = spawn_app().await;
    let spec: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &spec["components"]["schemas"];
    // The values of `schema.field`, following a `$ref` or an array's items.
    let values = |schema: &str, field: &str| -> Vec<String> {
        let mut p = &schemas[schema]["properties"][field];
        if p["type"] == "array" {
            p = &p["items"];
        }
        if let Some(r) = p["$ref"].as_str() {
            p = &schemas[r.trim_start_matches("#/components/schemas/")];
        }
        p["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema}.{field} has no enum: {p}"))
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let owned = |all: &[&str]| all.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let plans = owned(&rentdesk_store::plans::STATUSES);
    for (schema, field) in [
        ("ArrangementOut", "status"),
        ("PlanAnswer", "status"),
        ("PlanBrief", "status"),
    ] {
        assert_eq!(values(schema, field), plans, "{schema}.{field}");
    }
    assert!(plans.contains(&"declined".to_owned()));
    let channels: Vec<String> = rentdesk_domain::contact_policy::Channel::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(channels, ["sms", "email", "push"]);
    for (schema, field) in [
        ("Message", "channel"),
        ("SampleMessage", "channel"),
        ("CampaignOut", "channels"),
        ("CampaignInput", "channels"),
    ] {
        assert_eq!(values(schema, field), channels, "{schema}.{field}");
    }
    assert_eq!(
        values("MessageOut", "channel"),
        owned(&rentdesk_store::outbox::MESSAGE_CHANNELS)
    );
    for schema in ["Message", "MessageOut"] {
        assert_eq!(
            values(schema, "status"),
            owned(&rentdesk_store::outbox::MESSAGE_STATUSES),
            "{schema}.status"
        );
    }
    for schema in ["Me", "OfficerOut"] {
        assert_eq!(
            values(schema, "role"),
            ["officer", "team_leader", "admin"],
            "{schema}.role"
        );
    }
    assert_eq!(
        values("TaskOut", "status"),
        owned(&rentdesk_store::tasks::STATUSES)
    );
    let ledger: Vec<String> = rentdesk_domain::ledger::TransactionKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    assert_eq!(ledger.len(), 14);
    for schema in ["LedgerLine", "StatementLine"] {
        assert_eq!(values(schema, "kind"), ledger, "{schema}.kind");
    }
    let campaigns = owned(&rentdesk_store::campaigns::STATUSES);
    assert_eq!(values("CampaignOut", "status"), campaigns);
    assert_eq!(values("CampaignProgress", "status"), campaigns);
    assert_eq!(
        values("VisitOut", "status"),
        owned(&rentdesk_store::visits::STATUSES)
    );
    assert_eq!(
        values("ImportBatch", "status"),
        owned(&rentdesk_store::imports::BATCH_STATUSES)
    );
    assert_eq!(
        values("ExportOut", "status"),
        owned(&rentdesk_store::subject_access::STATUSES)
    );
    let tenancies = owned(rentdesk_store::imports::TENANCY_STATUSES);
    assert_eq!(values("AccountSummary", "status"), tenancies);
    assert_eq!(values("SyncedAccount", "status"), tenancies);
    assert_eq!(
        values("UcClaimOut", "apa_status"),
        owned(&rentdesk_store::facts::APA_STATUSES)
    );
    assert_eq!(
        values("FlagOut", "kind"),
        owned(rentdesk_domain::flags::KINDS)
    );
    app.stop().await;
}
