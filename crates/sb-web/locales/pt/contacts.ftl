# Páginas de contatos (ui/contacts.rs; as páginas estão em ui/cards.rs).
contacts-title = Contatos
contacts-new = Novo contato
contacts-edit = Editar contato
contacts-empty = Ainda não há contatos. Crie o primeiro.
contacts-delete-confirm = Excluir este contato? Ele sai das listas, da busca e da identificação de chamadas.
