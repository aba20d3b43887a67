def test_home_page_lists_upcoming_events(client, make_event):
    make_event(title="Reading group: Mamba")
    response = client.get("/")
    assert response.status_code == 200
    assert "Reading group: Mamba" in response.get_data(as_text=True)
