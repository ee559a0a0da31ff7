# Kapcsolatok oldalai (ui/contacts.rs; maguk az oldalak az ui/cards.rs-ben).
contacts-title = Kapcsolatok
contacts-new = Új kapcsolat
contacts-edit = Kapcsolat szerkesztése
contacts-empty = Még nincs kapcsolat. Hozza létre az elsőt.
contacts-delete-confirm = Törlöd ezt a kapcsolatot? Eltűnik a listákból, a keresésből és a hívóazonosításból.
