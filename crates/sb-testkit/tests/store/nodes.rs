//! Node numbers for ids: leased one per process, never two holders at once.

use sb_store::nodes::{claim_any, claim_one, release, renew, Claimed};
use sb_testkit::db::backends;

const NOW: i64 = 1_800_000_000_000;
const LEASE: i64 = 60_000;

#[tokio::test]
async fn each_process_gets_its_own_number_until_it_lets_go_or_its_lease_ends() {
    for t in backends().await {
        let db = &t.db;
        let a = claim_any(db, 32, "a", NOW, NOW + LEASE).await.unwrap();
        assert_eq!(a, Some(Claimed { node: 0, mark: 0 }));
        let b = claim_any(db, 32, "b", NOW, NOW + LEASE).await.unwrap();
        assert_eq!(b.map(|c| c.node), Some(1), "the next free number");
        // A holder's own number can be claimed again (another database handle, same process).
        assert!(claim_one(db, 0, "a", NOW, NOW + LEASE)
            .await
            .unwrap()
            .is_some());
        assert!(claim_one(db, 0, "b", NOW, NOW + LEASE)
            .await
            .unwrap()
            .is_none());
        // a runs ahead and records how far; when it stops, c gets its number and the mark.
        assert!(renew(db, 0, "a", NOW + 2 * LEASE, 777).await.unwrap());
        release(db, 0, "a", 888).await.unwrap();
        let c = claim_any(db, 32, "c", NOW, NOW + LEASE).await.unwrap();
        assert_eq!(c, Some(Claimed { node: 0, mark: 888 }));
        // b dies without letting go: its number is free only once the lease has ended.
        assert!(claim_one(db, 1, "d", NOW + LEASE - 1, NOW + 2 * LEASE)
            .await
            .unwrap()
            .is_none());
        let d = claim_one(db, 1, "d", NOW + LEASE + 1, NOW + 2 * LEASE)
            .await
            .unwrap();
        assert_eq!(d.map(|c| c.node), Some(1));
        // b wakes up: its renewal tells it the number is gone.
        assert!(!renew(db, 1, "b", NOW + 3 * LEASE, 5).await.unwrap());
        // Every number held: nothing to claim.
        for n in 2..32 {
            assert!(claim_one(db, n, "e", NOW, NOW + LEASE)
                .await
                .unwrap()
                .is_some());
        }
        assert_eq!(
            claim_any(db, 32, "f", NOW, NOW + LEASE).await.unwrap(),
            None
        );
    }
}
